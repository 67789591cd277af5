import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { FleetParams } from './params.ts';
import type { FleetSecrets } from './secrets.ts';
import type { FleetStorage } from './storage.ts';

export const CONDUIT_PORT = 6167;
const DATABASE_PATH = '/var/lib/matrix-conduit';

export interface ConduitProps {
  params: FleetParams;
  cluster: ecs.ICluster;
  namespace: servicediscovery.INamespace;
  subnets: ec2.SubnetSelection;
  securityGroup: ec2.ISecurityGroup;
  storage: FleetStorage;
  secrets: FleetSecrets;
}

/**
 * The Conduit homeserver: one Fargate task, RocksDB on EFS, federation and open registration off, reachable as
 * conduit.<namespace>:6167 through Cloud Map. People reach it through the bastion (`./fleet connect`); ECS Exec
 * stays on for operators who forward to the task itself.
 */
export class ConduitService extends Construct {
  readonly service: ecs.FargateService;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConduitProps) {
    super(scope, id);
    const { params: p } = props;
    const task = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: p.conduitCpu,
      memoryLimitMiB: p.conduitMemoryMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const container = task.addContainer('conduit', {
      containerName: 'conduit',
      image: ecs.ContainerImage.fromRegistry(p.conduitImage),
      environment: {
        CONDUIT_CONFIG: '', // configuration from the environment only
        CONDUIT_SERVER_NAME: p.domain,
        CONDUIT_DATABASE_BACKEND: 'rocksdb',
        CONDUIT_DATABASE_PATH: `${DATABASE_PATH}/`,
        CONDUIT_ADDRESS: '0.0.0.0',
        CONDUIT_PORT: String(CONDUIT_PORT),
        CONDUIT_MAX_REQUEST_SIZE: '20000000',
        CONDUIT_ALLOW_FEDERATION: 'false',
        CONDUIT_TRUSTED_SERVERS: '[]',
        CONDUIT_ALLOW_REGISTRATION: String(p.bootstrapRegistration),
        CONDUIT_ALLOW_CHECK_FOR_UPDATES: 'false',
      },
      ...(props.secrets.registrationToken
        ? { secrets: { CONDUIT_REGISTRATION_TOKEN: ecs.Secret.fromSecretsManager(props.secrets.registrationToken) } }
        : {}),
      portMappings: [{ containerPort: CONDUIT_PORT, name: 'matrix' }],
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'conduit',
        logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH }),
      }),
    });
    props.storage.mount(task, container, props.storage.conduit, DATABASE_PATH, props.securityGroup);

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: task,
      desiredCount: 1,
      // One RocksDB, one writer: stop the old task before starting the new one.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
      enableExecuteCommand: true,
      circuitBreaker: { rollback: true },
      cloudMapOptions: {
        name: 'conduit',
        cloudMapNamespace: props.namespace,
        dnsRecordType: servicediscovery.DnsRecordType.A,
        dnsTtl: Duration.seconds(10),
      },
    });
    this.url = `http://conduit.${p.namespace}:${CONDUIT_PORT}`;
  }
}
