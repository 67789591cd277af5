import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type { Construct } from 'constructs';
import { OperatorAccess } from './access.ts';
import { FleetAlarms } from './alarms.ts';
import { CONDUIT_PORT, ConduitService } from './conduit.ts';
import { containerImage } from './image.ts';
import { FleetNetwork } from './network.ts';
import type { FleetParams } from './params.ts';
import { RouterService } from './router.ts';
import { FleetSecrets } from './secrets.ts';
import { ShardTasks } from './shards.ts';
import { FleetStorage } from './storage.ts';

export interface FleetStackProps extends StackProps {
  params: FleetParams;
}

/**
 * Open Claw Fleet on ECS Fargate: Conduit, one router and N shard tasks each hosting many agents, sharing one
 * EFS file system, in private subnets, found through Cloud Map.
 */
export class FleetStack extends Stack {
  readonly network: FleetNetwork;
  readonly storage: FleetStorage;
  readonly secrets: FleetSecrets;
  readonly conduit: ConduitService;
  readonly shards: ShardTasks;
  readonly router: RouterService;
  readonly cluster: ecs.Cluster;
  readonly access: OperatorAccess;
  readonly alarms: FleetAlarms;

  constructor(scope: Construct, id: string, props: FleetStackProps) {
    super(scope, id, props);
    const { params: p } = props;
    this.network = new FleetNetwork(this, 'Network', p);
    const { vpc } = this.network;
    const subnets = this.network.taskSubnets;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      enableFargateCapacityProviders: true,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: p.namespace,
      vpc,
      description: 'Open Claw Fleet services (conduit, router)',
    });
    this.storage = new FleetStorage(this, 'Storage', { vpc, subnets });
    this.secrets = new FleetSecrets(this, 'Secrets', { prefix: this.stackName, bootstrapRegistration: p.bootstrapRegistration });
    const image = containerImage(this, 'FleetImage', p.imageUri);

    this.conduit = new ConduitService(this, 'Conduit', {
      params: p, cluster: this.cluster, namespace, subnets, securityGroup: this.network.conduitSg,
      storage: this.storage, secrets: this.secrets,
    });
    const routerUrl = `http://router.${p.namespace}:9000`;
    this.shards = new ShardTasks(this, 'Shards', {
      params: p, image, storage: this.storage, secrets: this.secrets, securityGroup: this.network.shardSg,
      homeserverUrl: this.conduit.url, routerUrl,
    });
    this.router = new RouterService(this, 'Router', {
      params: p, image, cluster: this.cluster, namespace, subnets, vpc, securityGroup: this.network.routerSg,
      shardSecurityGroup: this.network.shardSg, storage: this.storage, secrets: this.secrets, shards: this.shards,
      homeserverUrl: this.conduit.url,
    });
    // Conduit must be up before the router registers users and starts shards.
    this.router.service.node.addDependency(this.conduit.service);
    this.access = new OperatorAccess(this, 'Access', {
      network: this.network, subnets, routerService: this.router.service, withBastion: p.bastion,
    });
    this.alarms = new FleetAlarms(this, 'Alarms', {
      cluster: this.cluster, shardFamily: this.shards.taskDefinition.family, shardCount: p.shardCount,
      ...(p.autoscale ? { autoscaleMin: p.autoscaleMin } : {}),
      routerService: this.router.service, conduitService: this.conduit.service, routerLogGroup: this.router.logGroup,
      email: p.alarmEmail,
    });

    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'ConduitServiceName', { value: this.conduit.service.serviceName });
    new CfnOutput(this, 'ShardTaskDefinition', { value: this.shards.taskDefinition.taskDefinitionArn });
    new CfnOutput(this, 'ShardLogGroup', { value: this.shards.logGroup.logGroupName });
    new CfnOutput(this, 'RouterUrl', { value: this.router.url, description: 'the appservice url to register with Conduit' });
    new CfnOutput(this, 'HomeserverUrl', { value: this.conduit.url });
    new CfnOutput(this, 'AsTokenSecret', { value: this.secrets.asToken.secretName });
    new CfnOutput(this, 'HsTokenSecret', { value: this.secrets.hsToken.secretName });
    // What `./fleet connect` reads (src/cli/commands/connect.ts, CONNECT_OUTPUTS).
    if (this.access.bastion) new CfnOutput(this, 'BastionInstanceId', { value: this.access.bastion.instanceId });
    new CfnOutput(this, 'HomeserverHost', { value: `conduit.${p.namespace}` });
    new CfnOutput(this, 'HomeserverPort', { value: String(CONDUIT_PORT) });
    new CfnOutput(this, 'CommandCenterHost', { value: this.access.loadBalancer.loadBalancerDnsName });
    new CfnOutput(this, 'CommandCenterPort', { value: '80' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    if (this.secrets.registrationToken) {
      new CfnOutput(this, 'RegistrationTokenSecret', { value: this.secrets.registrationToken.secretName });
    }
  }
}
