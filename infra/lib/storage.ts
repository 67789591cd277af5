import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The fleet image's `fleet` user: agents' directories must belong to it (shards/Dockerfile). */
export const FLEET_UID = '1001';
/** Conduit's files get their own identity. */
export const CONDUIT_UID = '1002';

export interface SharedVolume {
  fileSystem: efs.FileSystem;
  accessPoint: efs.AccessPoint;
}

/**
 * Two encrypted EFS file systems: the workspace (agents' directories, shard and router SQLite) and Conduit's
 * RocksDB. Two rather than one with two access points because a file-system policy cannot name its own access
 * points (CloudFormation dependency cycle); with two, each policy simply names the only task roles that may mount
 * it. Access is by IAM only: no `Principal: *` statement, no anonymous NFS clients, no root access.
 */
export class FleetStorage extends Construct {
  readonly workspace: SharedVolume;
  readonly conduit: SharedVolume;

  constructor(scope: Construct, id: string, props: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection }) {
    super(scope, id);
    this.workspace = this.volume('Workspace', props, '/workspace', FLEET_UID, '750');
    this.conduit = this.volume('Conduit', props, '/conduit', CONDUIT_UID, '700');
  }

  /**
   * Lets a task definition mount a volume: the task volume (TLS, IAM authorisation, the access point), the
   * container mount, the file-system policy statement for the task role, and NFS from the task's security group.
   */
  mount(task: ecs.FargateTaskDefinition, container: ecs.ContainerDefinition, volume: SharedVolume, containerPath: string,
    from: ec2.ISecurityGroup): void {
    const name = `efs-${volume.fileSystem.node.id.toLowerCase()}`;
    task.addVolume({
      name,
      efsVolumeConfiguration: {
        fileSystemId: volume.fileSystem.fileSystemId,
        transitEncryption: 'ENABLED',
        authorizationConfig: { accessPointId: volume.accessPoint.accessPointId, iam: 'ENABLED' },
      },
    });
    container.addMountPoints({ sourceVolume: name, containerPath, readOnly: false });
    volume.fileSystem.addToResourcePolicy(new iam.PolicyStatement({
      principals: [task.taskRole],
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      conditions: { Bool: { 'aws:SecureTransport': 'true', 'elasticfilesystem:AccessedViaMountTarget': 'true' } },
    }));
    volume.fileSystem.connections.allowDefaultPortFrom(from);
  }

  private volume(id: string, props: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection }, path: string, uid: string,
    permissions: string): SharedVolume {
    const fileSystem = new efs.FileSystem(this, id, {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      encrypted: true,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      // Elastic: pay per use, no burst credits to run out of (the seed's EFS problem under load).
      throughputMode: efs.ThroughputMode.ELASTIC,
      lifecyclePolicy: efs.LifecyclePolicy.AFTER_30_DAYS,
      outOfInfrequentAccessPolicy: efs.OutOfInfrequentAccessPolicy.AFTER_1_ACCESS,
      enableAutomaticBackups: true,
      // Agents' memories and the homeserver's history: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      // Counter-intuitive: `false` makes CDK add an Allow for Principal '*'. With `true` CDK adds nothing, and
      // having a file-system policy at all (the statements mount() adds) already shuts anonymous clients out.
      allowAnonymousAccess: true,
      fileSystemPolicy: new iam.PolicyDocument(),
    });
    const accessPoint = fileSystem.addAccessPoint('AccessPoint', {
      path,
      createAcl: { ownerUid: uid, ownerGid: uid, permissions },
      posixUser: { uid, gid: uid },
    });
    return { fileSystem, accessPoint };
  }
}
