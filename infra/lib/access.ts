import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { FleetNetwork } from './network.ts';
import { COMMAND_CENTER_PORT } from './router.ts';

export interface OperatorAccessProps {
  network: FleetNetwork;
  subnets: ec2.SubnetSelection;
  routerService: ecs.FargateService;
  withBastion: boolean;
}

/**
 * How people reach the fleet, as in the seed: the command center behind an internal load balancer, and a bastion
 * with no inbound port that Session Manager port-forwards through (`./fleet connect`). Nothing faces the internet.
 */
export class OperatorAccess extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly bastion: ec2.BastionHostLinux | undefined;

  constructor(scope: Construct, id: string, props: OperatorAccessProps) {
    super(scope, id);
    const { network } = props;
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'CommandCenterLb', {
      vpc: network.vpc,
      internetFacing: false,
      vpcSubnets: props.subnets,
      securityGroup: network.commandCenterLbSg,
    });
    // open: false, or CDK would allow 0.0.0.0/0 on the listener's port.
    const listener = this.loadBalancer.addListener('Http', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP, open: false });
    listener.addTargets('CommandCenter', {
      port: COMMAND_CENTER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [props.routerService.loadBalancerTarget({ containerName: 'router', containerPort: COMMAND_CENTER_PORT })],
      healthCheck: { path: '/config.json', interval: Duration.seconds(30), healthyThresholdCount: 2 },
      // One router task: a deployment stops the old one first, so there is nothing to drain for long.
      deregistrationDelay: Duration.seconds(10),
    });

    this.bastion = props.withBastion
      ? new ec2.BastionHostLinux(this, 'Bastion', {
        vpc: network.vpc,
        subnetSelection: props.subnets,
        securityGroup: network.bastionSg,
        instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
        machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
        requireImdsv2: true,
      })
      : undefined;
  }
}
