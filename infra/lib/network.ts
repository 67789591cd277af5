import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { FleetParams } from './params.ts';

/**
 * A VPC whose tasks live in private subnets. They reach AWS (ECR, Logs, Secrets Manager, Bedrock) through a NAT
 * gateway, or through interface endpoints when `vpcEndpoints` is set; S3 (ECR image layers) always goes through
 * the free gateway endpoint.
 */
export class FleetNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly conduitSg: ec2.SecurityGroup;
  readonly routerSg: ec2.SecurityGroup;
  readonly shardSg: ec2.SecurityGroup;
  /** The bastion has no inbound rule at all: Session Manager reaches it through its own outbound connection. */
  readonly bastionSg: ec2.SecurityGroup;
  readonly commandCenterLbSg: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, p: FleetParams) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: p.maxAzs,
      natGateways: p.natGateways,
      subnetConfiguration: [
        ...(p.natGateways > 0 ? [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }] : []),
        { name: 'tasks', subnetType: p.natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    if (p.vpcEndpoints) {
      const services = {
        EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
        EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
        Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
        Secrets: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
        BedrockRuntime: ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
        // Session Manager for the bastion (`./fleet connect`) and ECS Exec, without NAT.
        Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
        SsmMessages: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
        Ec2Messages: ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
      };
      for (const [name, service] of Object.entries(services)) this.vpc.addInterfaceEndpoint(name, { service, privateDnsEnabled: true });
    }

    const sg = (name: string, description: string) =>
      new ec2.SecurityGroup(this, name, { vpc: this.vpc, description, allowAllOutbound: true });
    this.conduitSg = sg('ConduitSg', 'Conduit homeserver: Matrix client-server API from the router and shards');
    this.routerSg = sg('RouterSg', 'Router: appservice transactions from Conduit, heartbeats from shards');
    this.shardSg = sg('ShardSg', 'Shards: deliveries from the router');
    this.bastionSg = sg('BastionSg', 'Bastion: no inbound; Session Manager port forwarding to Conduit and the command center');
    this.commandCenterLbSg = new ec2.SecurityGroup(this, 'CommandCenterLbSg', {
      vpc: this.vpc, description: 'Command center load balancer (internal): HTTP from the bastion only', allowAllOutbound: false,
    });
    this.conduitSg.addIngressRule(this.routerSg, ec2.Port.tcp(6167), 'router -> Conduit');
    this.conduitSg.addIngressRule(this.shardSg, ec2.Port.tcp(6167), 'shards -> Conduit (agents act through the appservice)');
    this.routerSg.addIngressRule(this.conduitSg, ec2.Port.tcp(9000), 'Conduit -> router (appservice transactions)');
    this.routerSg.addIngressRule(this.shardSg, ec2.Port.tcp(9000), 'shards -> router (heartbeats)');
    this.shardSg.addIngressRule(this.routerSg, ec2.Port.tcp(9100), 'router -> shards (deliveries)');
    this.conduitSg.addIngressRule(this.bastionSg, ec2.Port.tcp(6167), 'bastion -> Conduit (./fleet connect: clients, web chat)');
    this.commandCenterLbSg.addIngressRule(this.bastionSg, ec2.Port.tcp(80), 'bastion -> command center (./fleet connect)');
  }

  /** Where tasks run. */
  get taskSubnets(): ec2.SubnetSelection {
    return { subnetGroupName: 'tasks' };
  }
}
