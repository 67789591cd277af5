import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { fleetEnvironment, httpHealthCheck } from './fleet-env.ts';
import type { FleetParams } from './params.ts';
import type { FleetSecrets } from './secrets.ts';
import { SHARD_CONTAINER, type ShardTasks } from './shards.ts';
import type { FleetStorage } from './storage.ts';

export const ROUTER_PORT = 9000;
/** The command center (web chat and dashboard), served by the router process beside the fleet view it reads. */
export const COMMAND_CENTER_PORT = 8080;

export interface RouterProps {
  params: FleetParams;
  image: ecs.ContainerImage;
  cluster: ecs.Cluster;
  namespace: servicediscovery.INamespace;
  subnets: ec2.SubnetSelection;
  vpc: ec2.IVpc;
  securityGroup: ec2.ISecurityGroup;
  shardSecurityGroup: ec2.ISecurityGroup;
  storage: FleetStorage;
  secrets: FleetSecrets;
  shards: ShardTasks;
  homeserverUrl: string;
}

/**
 * The router: the appservice Conduit pushes transactions to, and the owner of the shard tasks (it runs and stops
 * them through EcsShardDriver). One task, reachable as router.<namespace>:9000.
 */
export class RouterService extends Construct {
  readonly service: ecs.FargateService;
  readonly url: string;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RouterProps) {
    super(scope, id);
    const { params: p, shards } = props;
    this.url = `http://router.${p.namespace}:${ROUTER_PORT}`;
    const stack = Stack.of(this);
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 1024,
      memoryLimitMiB: 2048,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.grantShardControl(this.taskDefinition.taskRole, props.cluster, shards.taskDefinition);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });

    const driverEnv: Record<string, string> = {
      FLEET_SHARDS__DRIVER: 'ecs',
      FLEET_SHARDS__COUNT: String(p.shardCount),
      FLEET_SHARDS__ECS__CLUSTER: props.cluster.clusterArn,
      FLEET_SHARDS__ECS__TASK_DEFINITION: shards.taskDefinition.taskDefinitionArn,
      FLEET_SHARDS__ECS__CONTAINER_NAME: SHARD_CONTAINER,
      // JSON is YAML, which is how FLEET_* values are parsed: these arrive as lists.
      FLEET_SHARDS__ECS__SUBNETS: stack.toJsonString(props.vpc.selectSubnets(props.subnets).subnetIds),
      FLEET_SHARDS__ECS__SECURITY_GROUPS: stack.toJsonString([props.shardSecurityGroup.securityGroupId]),
      ...(p.autoscale ? { FLEET_SHARDS__AUTOSCALE__ENABLED: 'true', FLEET_SHARDS__AUTOSCALE__MIN: String(p.autoscaleMin), FLEET_SHARDS__AUTOSCALE__MAX: String(p.autoscaleMax) } : {}),
      ...(p.spot ? { FLEET_SHARDS__ECS__CAPACITY_PROVIDER_STRATEGY: JSON.stringify(shardCapacityStrategy(p)) } : {}),
    };
    const container = this.taskDefinition.addContainer('router', {
      containerName: 'router',
      image: props.image,
      command: ['router'],
      environment: {
        ...fleetEnvironment({ domain: p.domain, homeserverUrl: props.homeserverUrl, routerUrl: this.url }),
        FLEET_ROUTER__HOST: '0.0.0.0',
        FLEET_ROUTER__PORT: String(ROUTER_PORT),
        FLEET_WEB__ENABLED: 'true',
        FLEET_WEB__HOST: '0.0.0.0',
        FLEET_WEB__PORT: String(COMMAND_CENTER_PORT),
        // The browser reaches Conduit through `./fleet connect`'s tunnel, not by its name inside the VPC.
        FLEET_WEB__HOMESERVER_URL: `http://localhost:${p.connectHomeserverPort}`,
        // The web chat is built once into this cache; the image's home is not writable by the fleet user.
        FLEET_CACHE_DIR: '/workspace/.cache',
        ...driverEnv,
      },
      secrets: props.secrets.routerContainerSecrets(),
      portMappings: [{ containerPort: ROUTER_PORT, name: 'appservice' }, { containerPort: COMMAND_CENTER_PORT, name: 'command-center' }],
      healthCheck: {
        command: httpHealthCheck(ROUTER_PORT),
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'router', logGroup: this.logGroup }),
    });
    // The router's SQLite (inbox, placement) lives beside the agents' directories.
    props.storage.mount(this.taskDefinition, container, props.storage.workspace, '/workspace', props.securityGroup);

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: 1,
      // A single writer of router.sqlite, and a single owner of the shard tasks.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
      circuitBreaker: { rollback: true },
      cloudMapOptions: {
        name: 'router',
        cloudMapNamespace: props.namespace,
        dnsRecordType: servicediscovery.DnsRecordType.A,
        dnsTtl: Duration.seconds(10),
      },
    });
  }

  /**
   * Run, stop, list and describe shard tasks, in this cluster only, of the shard task definition only, and pass
   * only the shard's two roles. ListTasks has no resource type, so it is limited by the ecs:cluster condition.
   */
  private grantShardControl(role: iam.IRole, cluster: ecs.Cluster, shardTask: ecs.FargateTaskDefinition): void {
    const inCluster = { ArnEquals: { 'ecs:cluster': cluster.clusterArn } };
    const tasksInCluster = `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:task/${cluster.clusterName}/*`;
    const statements = [
      new iam.PolicyStatement({
        sid: 'RunShardTasks',
        actions: ['ecs:RunTask'],
        // Any revision of the shard family: a stack update registers a new one.
        resources: [`arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:task-definition/${shardTask.family}:*`],
        conditions: inCluster,
      }),
      new iam.PolicyStatement({
        sid: 'ManageShardTasks',
        actions: ['ecs:StopTask', 'ecs:DescribeTasks'],
        resources: [tasksInCluster],
        conditions: inCluster,
      }),
      new iam.PolicyStatement({ sid: 'ListShardTasks', actions: ['ecs:ListTasks'], resources: ['*'], conditions: inCluster }),
      new iam.PolicyStatement({
        sid: 'TagShardTasksAtLaunch',
        actions: ['ecs:TagResource'],
        resources: [tasksInCluster],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      }),
      new iam.PolicyStatement({
        sid: 'PassShardRoles',
        actions: ['iam:PassRole'],
        resources: [shardTask.taskRole.roleArn, shardTask.obtainExecutionRole().roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    ];
    for (const s of statements) role.addToPrincipalPolicy(s);
  }
}

/**
 * Shards on Fargate Spot (about 70% cheaper) with the first `onDemandShards` on on-demand Fargate: ECS fills the
 * base first, so those shards keep running through a Spot reclaim, and the router replaces reclaimed Spot shards.
 */
export function shardCapacityStrategy(p: Pick<FleetParams, 'onDemandShards'>): Array<{ capacityProvider: string; base?: number; weight: number }> {
  return [
    { capacityProvider: 'FARGATE', ...(p.onDemandShards > 0 ? { base: p.onDemandShards } : {}), weight: 0 },
    { capacityProvider: 'FARGATE_SPOT', weight: 1 },
  ];
}
