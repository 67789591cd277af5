import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BEDROCK_INVOKE_ACTIONS, bedrockModelArns } from './bedrock.ts';
import { fleetEnvironment, httpHealthCheck } from './fleet-env.ts';
import type { FleetParams } from './params.ts';
import type { FleetSecrets } from './secrets.ts';
import type { FleetStorage } from './storage.ts';

export const SHARD_PORT = 9100;
export const SHARD_CONTAINER = 'shard';

/**
 * The router reaches a shard at its task's private IP, which exists only once the task runs: read it from the
 * ECS task metadata endpoint, then start the shard exactly as the image's ENTRYPOINT + CMD would.
 */
export const SHARD_START_SCRIPT = [
  'ip=$(node -e "fetch(process.env.ECS_CONTAINER_METADATA_URI_V4).then(r=>r.json()).then(c=>console.log(c.Networks[0].IPv4Addresses[0]))")',
  `export FLEET_SHARDS__ADVERTISE_URL="http://$ip:${SHARD_PORT}"`,
  `exec node --disable-warning=ExperimentalWarning src/cli/main.ts shard --port ${SHARD_PORT}`,
].join(' && ');

export interface ShardsProps {
  params: FleetParams;
  image: ecs.ContainerImage;
  storage: FleetStorage;
  secrets: FleetSecrets;
  securityGroup: ec2.ISecurityGroup;
  homeserverUrl: string;
  routerUrl: string;
}

/**
 * The shard task definition. No ECS service: the router's EcsShardDriver runs one task per shard id (shard-0 …)
 * with SHARD_ID in the container overrides, and replaces tasks that die.
 */
export class ShardTasks extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ShardsProps) {
    super(scope, id);
    const { params: p } = props;
    const region = p.bedrockRegion ?? Aws.REGION;
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: `${Stack.of(this).stackName}-shard`,
      cpu: p.shardCpu,
      memoryLimitMiB: p.shardMemoryMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    // Agents call Bedrock with this role, and nothing else: no S3, no ECS, no Secrets Manager at runtime.
    this.taskDefinition.addToTaskRolePolicy(new iam.PolicyStatement({
      sid: 'InvokeFleetModel',
      actions: BEDROCK_INVOKE_ACTIONS,
      resources: bedrockModelArns(p.bedrockModelId, { partition: Aws.PARTITION, region, account: Aws.ACCOUNT_ID }),
    }));
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    const container = this.taskDefinition.addContainer(SHARD_CONTAINER, {
      containerName: SHARD_CONTAINER,
      image: props.image,
      entryPoint: ['sh', '-c'],
      command: [SHARD_START_SCRIPT],
      environment: {
        ...fleetEnvironment({ domain: p.domain, homeserverUrl: props.homeserverUrl, routerUrl: props.routerUrl }),
        FLEET_SHARDS__HOST: '0.0.0.0',
        FLEET_MODEL__DEFAULT: Stack.of(this).toJsonString({ kind: 'bedrock', region, modelId: p.bedrockModelId }),
      },
      secrets: props.secrets.shardContainerSecrets(),
      portMappings: [{ containerPort: SHARD_PORT, name: 'deliveries' }],
      healthCheck: {
        command: httpHealthCheck(SHARD_PORT),
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      // Agents' work is in flight: give the shard time to finish replies and hand deliveries back.
      stopTimeout: Duration.seconds(60),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'shard', logGroup: this.logGroup }),
    });
    props.storage.mount(this.taskDefinition, container, props.storage.workspace, '/workspace', props.securityGroup);
  }
}
