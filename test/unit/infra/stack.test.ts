import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECT_OUTPUTS } from '../../../src/cli/commands/connect.ts';
import { ROUTER_LOG_SIGNALS } from '../../../infra/lib/alarms.ts';
import { bedrockModelArns } from '../../../infra/lib/bedrock.ts';
import { FleetStack } from '../../../infra/lib/fleet-stack.ts';
import { fleetParams } from '../../../infra/lib/params.ts';

const IMAGE = '111122223333.dkr.ecr.us-east-1.amazonaws.com/open-claw-fleet:v1';
const cdkJson = JSON.parse(readFileSync(new URL('../../../infra/cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

/** Synthesizes the fleet stack the way `cdk synth -c ...` would: cdk.json's context plus the given -c values. */
function synth(context: Record<string, unknown> = {}): Template {
  const ctx: Record<string, unknown> = { imageUri: IMAGE, ...context };
  const app = new App({ context: { ...cdkJson.context, ...ctx } });
  const stack = new FleetStack(app, 'OpenClawFleet', { params: fleetParams((k) => app.node.tryGetContext(k)) });
  return Template.fromStack(stack);
}

type Resource = { Type: string; Properties: Record<string, any> };
const resources = (t: Template, type: string): Array<[string, Resource]> =>
  Object.entries(t.findResources(type) as Record<string, Resource>);

/** Renders CloudFormation intrinsics as ${Ref}/${Resource.Attr} placeholders, so values can be compared as text. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, any>;
    if ('Ref' in o) return `\${${o.Ref}}`;
    if ('Fn::GetAtt' in o) return `\${${o['Fn::GetAtt'].join('.')}}`;
    if ('Fn::Join' in o) return (o['Fn::Join'][1] as unknown[]).map(text).join(o['Fn::Join'][0]);
  }
  return JSON.stringify(v);
}

const taskDef = (t: Template, prefix: string): Resource => {
  const found = resources(t, 'AWS::ECS::TaskDefinition').filter(([id]) => id.startsWith(prefix));
  expect(found).toHaveLength(1);
  return found[0]![1];
};
const envOf = (def: Resource): Record<string, string> =>
  Object.fromEntries((def.Properties.ContainerDefinitions[0].Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, text(e.Value)]));
const roleId = (def: Resource, which: 'TaskRoleArn' | 'ExecutionRoleArn'): string => def.Properties[which]['Fn::GetAtt'][0];
const statementsOf = (t: Template, role: string): any[] =>
  resources(t, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === role))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);

let t: Template;
beforeAll(() => {
  t = synth({ shardCount: '3' });
});

describe('fleet stack: storage', () => {
  it('gives agents an EFS access point at /workspace owned by and acting as uid/gid 1001', () => {
    t.hasResourceProperties('AWS::EFS::AccessPoint', {
      RootDirectory: { Path: '/workspace', CreationInfo: { OwnerUid: '1001', OwnerGid: '1001', Permissions: '750' } },
      PosixUser: { Uid: '1001', Gid: '1001' },
    });
  });

  it('has no file-system policy that allows Principal "*", and every file system has a policy naming task roles', () => {
    const fileSystems = resources(t, 'AWS::EFS::FileSystem');
    expect(fileSystems).toHaveLength(2);
    for (const [, fs] of fileSystems) {
      expect(fs.Properties.Encrypted).toBe(true);
      const statements = fs.Properties.FileSystemPolicy.Statement as any[];
      expect(statements.length).toBeGreaterThan(0);
      for (const s of statements) {
        expect(s.Principal).not.toBe('*');
        expect(s.Principal.AWS).not.toBe('*');
        expect(s.Principal.AWS['Fn::GetAtt'][0]).toMatch(/TaskRole/);
        expect(s.Action).not.toContain('elasticfilesystem:ClientRootAccess');
        expect(s.Condition.Bool['aws:SecureTransport']).toBe('true');
      }
    }
  });

  it('lets only the shard and router roles mount the workspace, and only Conduit mount its database', () => {
    const shardRole = roleId(taskDef(t, 'ShardsTask'), 'TaskRoleArn');
    const routerRole = roleId(taskDef(t, 'RouterTask'), 'TaskRoleArn');
    const conduitRole = roleId(taskDef(t, 'ConduitTask'), 'TaskRoleArn');
    const principals = (prefix: string) => resources(t, 'AWS::EFS::FileSystem').find(([id]) => id.startsWith(prefix))![1]
      .Properties.FileSystemPolicy.Statement.map((s: any) => s.Principal.AWS['Fn::GetAtt'][0]).sort();
    expect(principals('StorageWorkspace')).toEqual([routerRole, shardRole].sort());
    expect(principals('StorageConduit')).toEqual([conduitRole]);
  });

  it('mounts EFS with TLS and IAM authorisation through the access point', () => {
    const volume = taskDef(t, 'ShardsTask').Properties.Volumes[0].EFSVolumeConfiguration;
    expect(volume.TransitEncryption).toBe('ENABLED');
    expect(volume.AuthorizationConfig.IAM).toBe('ENABLED');
    expect(text(volume.AuthorizationConfig.AccessPointId)).toMatch(/^\$\{StorageWorkspaceAccessPoint/);
  });
});

describe('fleet stack: shard task definition', () => {
  it('configures shards through FLEET_* environment and takes its secrets from Secrets Manager only', () => {
    const def = taskDef(t, 'ShardsTask');
    const env = envOf(def);
    expect(env).toMatchObject({
      FLEET_DOMAIN: 'anycompany.corp',
      FLEET_HOMESERVER__URL: 'http://conduit.fleet.internal:6167',
      FLEET_ROUTER__URL: 'http://router.fleet.internal:9000',
      FLEET_SHARDS__HOST: '0.0.0.0',
    });
    expect(JSON.parse(env.FLEET_MODEL__DEFAULT!.replace('${AWS::Region}', 'us-east-1'))).toEqual({
      kind: 'bedrock', region: 'us-east-1', modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    });
    for (const name of Object.keys(env)) expect(name).not.toMatch(/TOKEN|SECRET|PASSWORD/);

    const secrets = def.Properties.ContainerDefinitions[0].Secrets as Array<{ Name: string; ValueFrom: { Ref: string } }>;
    // Shards act as agents only: no hs_token, no fleet secret (their own token comes with RunTask).
    expect(secrets.map((s) => s.Name).sort()).toEqual(['FLEET_AS_TOKEN']);
    const secretIds = new Set(resources(t, 'AWS::SecretsManager::Secret').map(([id]) => id));
    for (const s of secrets) expect(secretIds.has(s.ValueFrom.Ref)).toBe(true);
  });

  it('generates the secrets instead of carrying values in the template', () => {
    for (const [, secret] of resources(t, 'AWS::SecretsManager::Secret')) {
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString.PasswordLength).toBe(64);
    }
  });

  it('advertises the task IP from the ECS metadata endpoint and keeps the image health check', () => {
    const container = taskDef(t, 'ShardsTask').Properties.ContainerDefinitions[0];
    expect(container.Name).toBe('shard');
    expect(container.EntryPoint).toEqual(['sh', '-c']);
    expect(container.Command[0]).toContain('ECS_CONTAINER_METADATA_URI_V4');
    expect(container.Command[0]).toContain('FLEET_SHARDS__ADVERTISE_URL="http://$ip:9100"');
    expect(container.Command[0]).toMatch(/exec node .*src\/cli\/main\.ts shard --port 9100$/);
    expect(container.HealthCheck.Command.join(' ')).toContain('http://127.0.0.1:9100/healthz');
  });

  it('lets the shard role invoke the configured Bedrock model and nothing else', () => {
    const statements = statementsOf(t, roleId(taskDef(t, 'ShardsTask'), 'TaskRoleArn'));
    expect(statements).toHaveLength(1);
    const [s] = statements;
    expect(s.Effect).toBe('Allow');
    expect([s.Action].flat().sort()).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
    expect(s.Resource.map(text)).toEqual([
      'arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:${AWS::Partition}:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
    ]);
  });

  it('is not an ECS service: the router runs shard tasks itself', () => {
    const shardTaskId = resources(t, 'AWS::ECS::TaskDefinition').find(([id]) => id.startsWith('ShardsTask'))![0];
    for (const [, svc] of resources(t, 'AWS::ECS::Service')) expect(svc.Properties.TaskDefinition.Ref).not.toBe(shardTaskId);
  });
});

describe('fleet stack: router', () => {
  it('may run the shard task definition only, in this cluster only', () => {
    const statements = statementsOf(t, roleId(taskDef(t, 'RouterTask'), 'TaskRoleArn'));
    const run = statements.filter((s) => [s.Action].flat().includes('ecs:RunTask'));
    expect(run).toHaveLength(1);
    expect(text(run[0].Resource)).toBe('arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/OpenClawFleet-shard:*');
    expect(text(run[0].Condition.ArnEquals['ecs:cluster'])).toMatch(/^\$\{Cluster[A-Z0-9]+\.Arn\}$/);
    for (const s of statements) {
      for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*|^iam:(?!PassRole$)/);
    }
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(['ecs:DescribeTasks', 'ecs:ListTasks', 'ecs:RunTask', 'ecs:StopTask', 'ecs:TagResource', 'iam:PassRole']);
  });

  it('may pass only the shard task and execution roles, only to ECS tasks', () => {
    const shard = taskDef(t, 'ShardsTask');
    const [pass] = statementsOf(t, roleId(taskDef(t, 'RouterTask'), 'TaskRoleArn')).filter((s) => s.Action === 'iam:PassRole');
    expect(pass.Resource.map(text).sort()).toEqual([
      `\${${roleId(shard, 'ExecutionRoleArn')}.Arn}`, `\${${roleId(shard, 'TaskRoleArn')}.Arn}`,
    ].sort());
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });

  it('runs the same image with command ["router"] and tells its ECS driver what to run', () => {
    const router = taskDef(t, 'RouterTask');
    const container = router.Properties.ContainerDefinitions[0];
    expect(container.Command).toEqual(['router']);
    expect(text(container.Image)).toBe(text(taskDef(t, 'ShardsTask').Properties.ContainerDefinitions[0].Image));
    const shardTaskId = resources(t, 'AWS::ECS::TaskDefinition').find(([id]) => id.startsWith('ShardsTask'))![0];
    expect(envOf(router)).toMatchObject({
      FLEET_ROUTER__HOST: '0.0.0.0',
      FLEET_ROUTER__PORT: '9000',
      FLEET_SHARDS__DRIVER: 'ecs',
      FLEET_SHARDS__COUNT: '3',
      FLEET_SHARDS__ECS__TASK_DEFINITION: `\${${shardTaskId}}`,
      FLEET_SHARDS__ECS__CONTAINER_NAME: 'shard',
    });
    expect(envOf(router).FLEET_SHARDS__ECS__SUBNETS).toMatch(/^\["\$\{NetworkVpctasksSubnet1\w+\}","\$\{NetworkVpctasksSubnet2\w+\}"\]$/);
    expect(envOf(router).FLEET_SHARDS__ECS__SECURITY_GROUPS).toMatch(/^\["\$\{NetworkShardSg\w+\.GroupId\}"\]$/);
  });

  it('is one task at a time, found through Cloud Map as router.<namespace>', () => {
    t.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      DeploymentConfiguration: Match.objectLike({ MaximumPercent: 100, MinimumHealthyPercent: 0 }),
      TaskDefinition: { Ref: Match.stringLikeRegexp('^RouterTask') },
    });
    t.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'router' });
    t.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', { Name: 'fleet.internal' });
  });

  it('accepts Conduit and shard traffic on 9000 and is the only source of deliveries to shards on 9100', () => {
    const ingress = resources(t, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    const into = (port: number) => ingress.filter((r) => r.FromPort === port).map((r) => `${text(r.SourceSecurityGroupId)}`).sort();
    expect(into(9000)).toEqual([expect.stringMatching(/NetworkConduitSg/), expect.stringMatching(/NetworkShardSg/)]);
    expect(into(9100)).toEqual([expect.stringMatching(/NetworkRouterSg/)]);
    expect(into(6167)).toEqual([expect.stringMatching(/NetworkBastionSg/), expect.stringMatching(/NetworkRouterSg/), expect.stringMatching(/NetworkShardSg/)]);
    expect(into(8080)).toEqual([expect.stringMatching(/NetworkCommandCenterLbSg/)]);
  });
});

describe('fleet stack: Conduit', () => {
  it('runs with federation and registration off, its database on EFS, as conduit.<namespace>', () => {
    const env = envOf(taskDef(t, 'ConduitTask'));
    expect(env).toMatchObject({
      CONDUIT_SERVER_NAME: 'anycompany.corp',
      CONDUIT_ALLOW_FEDERATION: 'false',
      CONDUIT_ALLOW_REGISTRATION: 'false',
      CONDUIT_DATABASE_PATH: '/var/lib/matrix-conduit/',
      CONDUIT_CONFIG: '',
    });
    expect(taskDef(t, 'ConduitTask').Properties.ContainerDefinitions[0].MountPoints[0].ContainerPath).toBe('/var/lib/matrix-conduit');
    t.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'conduit' });
    t.hasResourceProperties('AWS::ECS::Service', {
      EnableExecuteCommand: true,
      DeploymentConfiguration: Match.objectLike({ MaximumPercent: 100 }),
      TaskDefinition: { Ref: Match.stringLikeRegexp('^ConduitTask') },
    });
  });

  it('allows registration only with a generated token while bootstrapping', () => {
    const boot = synth({ bootstrapRegistration: 'true' });
    const def = taskDef(boot, 'ConduitTask');
    expect(envOf(def).CONDUIT_ALLOW_REGISTRATION).toBe('true');
    expect(def.Properties.ContainerDefinitions[0].Secrets).toEqual([
      { Name: 'CONDUIT_REGISTRATION_TOKEN', ValueFrom: { Ref: expect.stringMatching(/^Secretsconduitregistrationtoken/) } },
    ]);
  });
});

describe('fleet stack: options', () => {
  it('adds interface endpoints (Bedrock, ECR, Logs, Secrets Manager) when asked and runs without NAT', () => {
    const tpl = synth({ vpcEndpoints: 'true', natGateways: '0', conduitImage: '111122223333.dkr.ecr.us-east-1.amazonaws.com/conduit:v0.10.12' });
    tpl.resourceCountIs('AWS::EC2::NatGateway', 0);
    const services = resources(tpl, 'AWS::EC2::VPCEndpoint').map(([, e]) => text(e.Properties.ServiceName));
    for (const svc of ['bedrock-runtime', 'ecr.api', 'ecr.dkr', 'logs', 'secretsmanager']) {
      expect(services.some((s) => s.endsWith(`.${svc}`))).toBe(true);
    }
  });

  it('puts shards on Fargate Spot by default, the first onDemandShards on on-demand Fargate', () => {
    const strategy = (tpl: Template) => envOf(taskDef(tpl, 'RouterTask')).FLEET_SHARDS__ECS__CAPACITY_PROVIDER_STRATEGY;
    expect(JSON.parse(strategy(t)!)).toEqual([
      { capacityProvider: 'FARGATE', base: 1, weight: 0 },
      { capacityProvider: 'FARGATE_SPOT', weight: 1 },
    ]);
    expect(JSON.parse(strategy(synth({ onDemandShards: '2' }))!)[0]).toEqual({ capacityProvider: 'FARGATE', base: 2, weight: 0 });
    expect(JSON.parse(strategy(synth({ onDemandShards: '0' }))!)[0]).toEqual({ capacityProvider: 'FARGATE', weight: 0 });
    expect(strategy(synth({ spot: 'false' }))).toBeUndefined();
    // The cluster offers both providers, or RunTask with this strategy fails.
    t.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
  });

  it('sizes shards by the benchmarks (0.5 vCPU, 1 GiB) and Conduit by conduitCpu/conduitMemoryMiB', () => {
    expect(taskDef(t, 'ShardsTask').Properties).toMatchObject({ Cpu: '512', Memory: '1024' });
    expect(taskDef(t, 'ConduitTask').Properties).toMatchObject({ Cpu: '1024', Memory: '2048' });
    const big = synth({ conduitCpu: '4096', conduitMemoryMiB: '8192', shardCpu: '1024', shardMemoryMiB: '2048' });
    expect(taskDef(big, 'ConduitTask').Properties).toMatchObject({ Cpu: '4096', Memory: '8192' });
    expect(taskDef(big, 'ShardsTask').Properties).toMatchObject({ Cpu: '1024', Memory: '2048' });
  });

  it('rejects bad context with a message naming each -c value', () => {
    let message = '';
    try {
      fleetParams((k) => ({ shardCount: 'many', domain: 'Not A Domain!' } as Record<string, unknown>)[k]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n').slice(1).sort()).toEqual([
      '  -c domain: must be a Matrix server name such as anycompany.corp',
      expect.stringMatching(/^ {2}-c imageUri: required: the fleet image/),
      '  -c shardCount: must be a whole number',
    ]);
    expect(() => fleetParams((k) => ({ imageUri: IMAGE, natGateways: '0' } as Record<string, unknown>)[k]))
      .toThrow(/natGateways=0 needs -c vpcEndpoints=true/);
  });

  it('scopes Bedrock to the foundation model in the stack region when the id is not an inference profile', () => {
    expect(bedrockModelArns('amazon.nova-pro-v1:0', { partition: 'aws', region: 'eu-west-1', account: '1' }))
      .toEqual(['arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-pro-v1:0']);
  });
});

describe('fleet stack: operator access (./fleet connect)', () => {
  it('has no ingress from any address range: every rule names a security group', () => {
    const inline = resources(t, 'AWS::EC2::SecurityGroup').flatMap(([, sg]) => sg.Properties.SecurityGroupIngress ?? []);
    const rules = [...inline, ...resources(t, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties)];
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(r.CidrIp).toBeUndefined();
      expect(r.CidrIpv6).toBeUndefined();
      expect(r.SourceSecurityGroupId).toBeDefined();
    }
    for (const [, svc] of resources(t, 'AWS::ECS::Service')) {
      expect(svc.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    }
  });

  it('serves the command center from the router behind an internal load balancer reachable from the bastion only', () => {
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal', Type: 'application' });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 8080, TargetType: 'ip', HealthCheckPath: '/config.json' });
    t.hasResourceProperties('AWS::ECS::Service', {
      TaskDefinition: { Ref: Match.stringLikeRegexp('^RouterTask') },
      LoadBalancers: [Match.objectLike({ ContainerName: 'router', ContainerPort: 8080 })],
    });
    const ingress = resources(t, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    const lbSg = resources(t, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('NetworkCommandCenterLbSg'))![0];
    const intoLb = ingress.filter((r) => text(r.GroupId).startsWith(`\${${lbSg}`));
    expect(intoLb.map((r) => [r.FromPort, text(r.SourceSecurityGroupId)])).toEqual([[80, expect.stringMatching(/NetworkBastionSg/)]]);
    const env = envOf(taskDef(t, 'RouterTask'));
    expect(env).toMatchObject({
      FLEET_WEB__ENABLED: 'true', FLEET_WEB__HOST: '0.0.0.0', FLEET_WEB__PORT: '8080',
      FLEET_WEB__HOMESERVER_URL: 'http://localhost:6167', FLEET_CACHE_DIR: '/workspace/.cache',
    });
  });

  it('has a bastion with no inbound rule, in the private subnets, managed by Session Manager, with IMDSv2', () => {
    const [[, instance]] = resources(t, 'AWS::EC2::Instance') as [[string, Resource]];
    expect(text(instance.Properties.SubnetId)).toMatch(/^\$\{NetworkVpctasksSubnet1/);
    const bastionSg = resources(t, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('NetworkBastionSg'))!;
    expect(bastionSg[1].Properties.SecurityGroupIngress).toBeUndefined();
    const sgId = bastionSg[0];
    expect(resources(t, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => text(r.Properties.GroupId).startsWith(`\${${sgId}`))).toEqual([]);
    expect(instance.Properties.SecurityGroupIds.map(text)).toEqual([`\${${sgId}.GroupId}`]);
    // Only what the SSM agent needs to register and carry sessions: no managed policy, nothing in the fleet.
    const [roleId, role] = resources(t, 'AWS::IAM::Role').find(([id]) => id.startsWith('AccessBastion'))!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(statementsOf(t, roleId).flatMap((st) => [st.Action].flat()).sort())
      .toEqual(['ec2messages:*', 'ssm:UpdateInstanceInformation', 'ssmmessages:*']);
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } } });
    expect(synth({ bastion: 'false' }).findResources('AWS::EC2::Instance')).toEqual({});
  });

  it('outputs what ./fleet connect reads', () => {
    const outputs = t.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const key of Object.values(CONNECT_OUTPUTS)) expect(outputs[key], key).toBeDefined();
    expect(text(outputs.BastionInstanceId!.Value)).toMatch(/^\$\{AccessBastion\w+\}$/);
    expect(outputs.HomeserverHost!.Value).toBe('conduit.fleet.internal');
    expect(outputs.HomeserverPort!.Value).toBe('6167');
    expect(text(outputs.CommandCenterHost!.Value)).toMatch(/^\$\{AccessCommandCenterLb\w+\.DNSName\}$/);
    expect(outputs.CommandCenterPort!.Value).toBe('80');
  });

  it('adds the Session Manager endpoints when the VPC has no NAT', () => {
    const tpl = synth({ vpcEndpoints: 'true', natGateways: '0', conduitImage: '111122223333.dkr.ecr.us-east-1.amazonaws.com/conduit:v0.10.12' });
    const services = resources(tpl, 'AWS::EC2::VPCEndpoint').map(([, e]) => text(e.Properties.ServiceName));
    for (const svc of ['ssm', 'ssmmessages', 'ec2messages']) expect(services.some((s) => s.endsWith(`.${svc}`)), svc).toBe(true);
  });
});

describe('fleet stack: secrets', () => {
  it('gives the router exactly the three fleet secrets, from Secrets Manager, and no secret in any environment', () => {
    const secretIds = new Set(resources(t, 'AWS::SecretsManager::Secret').map(([id]) => id));
    const router = taskDef(t, 'RouterTask').Properties.ContainerDefinitions[0];
    expect(router.Secrets.map((s: { Name: string }) => s.Name).sort()).toEqual(['FLEET_AS_TOKEN', 'FLEET_HS_TOKEN', 'FLEET_SHARD_SECRET']);
    for (const s of router.Secrets) expect(secretIds.has(s.ValueFrom.Ref)).toBe(true);
    for (const [, def] of resources(t, 'AWS::ECS::TaskDefinition')) {
      for (const name of Object.keys(envOf(def))) expect(name).not.toMatch(/TOKEN|SECRET|PASSWORD/);
    }
  });
});

describe('fleet stack: alarms', () => {
  const alarms = () => resources(t, 'AWS::CloudWatch::Alarm').map(([id, a]) => [id, a.Properties] as const);
  const alarm = (prefix: string) => alarms().find(([id]) => id.startsWith(`Alarms${prefix}`))![1];

  it('alarms when fewer shard tasks than shardCount run, counting the shard family (not a service), no data included', () => {
    const a = alarm('ShardsMissing');
    expect(a).toMatchObject({ Namespace: 'ECS/ContainerInsights', MetricName: 'TaskCount', Threshold: 3,
      ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
    const dims = Object.fromEntries(a.Dimensions.map((d: { Name: string; Value: unknown }) => [d.Name, text(d.Value)]));
    expect(dims).toEqual({ ClusterName: expect.stringMatching(/^\$\{Cluster/), TaskDefinitionFamily: 'OpenClawFleet-shard' });
    expect(alarm('RouterDown')).toMatchObject({ MetricName: 'RunningTaskCount', Threshold: 1, TreatMissingData: 'breaching' });
    expect(alarm('ConduitDown')).toMatchObject({ MetricName: 'RunningTaskCount', Threshold: 1 });
  });

  it('with autoscaling on, the router gets its bounds and ShardsMissing expects the autoscaler\'s minimum, not the starting count', () => {
    const scaled = synth({ shardCount: '4', autoscale: 'true', autoscaleMin: '2', autoscaleMax: '10' });
    const missing = resources(scaled, 'AWS::CloudWatch::Alarm').find(([id]) => id.startsWith('AlarmsShardsMissing'))![1].Properties;
    expect(missing).toMatchObject({ Threshold: 2, AlarmDescription: expect.stringMatching(/^fewer than 2 shard tasks/) });
    expect(envOf(taskDef(scaled, 'RouterTask'))).toMatchObject({
      FLEET_SHARDS__COUNT: '4', FLEET_SHARDS__AUTOSCALE__ENABLED: 'true', FLEET_SHARDS__AUTOSCALE__MIN: '2', FLEET_SHARDS__AUTOSCALE__MAX: '10',
    });
    // Off (the default): the deployed count, and the router is told nothing of autoscaling.
    expect(envOf(taskDef(t, 'RouterTask')).FLEET_SHARDS__AUTOSCALE__ENABLED).toBeUndefined();
    expect(() => synth({ autoscale: 'true', autoscaleMin: '5', autoscaleMax: '3' })).toThrow(/autoscaleMin must not exceed/);
  });

  it('counts the router\'s log lines for replaced shards, failing launches, a stuck inbox and parked events', () => {
    const routerLogs = resources(t, 'AWS::Logs::LogGroup').find(([id]) => id.startsWith('RouterLogs'))![0];
    const filters = resources(t, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
    expect(filters.map((f) => f.MetricTransformations[0].MetricName).sort())
      .toEqual(Object.keys(ROUTER_LOG_SIGNALS).sort());
    for (const f of filters) {
      expect(f.LogGroupName).toEqual({ Ref: routerLogs });
      const name = f.MetricTransformations[0].MetricName as keyof typeof ROUTER_LOG_SIGNALS;
      expect(f.FilterPattern).toBe(`{ $.msg = "${ROUTER_LOG_SIGNALS[name]}" }`);
    }
    expect(alarm('InboxStuck')).toMatchObject({ Namespace: 'OpenClawFleet', MetricName: 'EventNotRoutedYet', Statistic: 'Sum' });
    expect(alarm('ShardsDying')).toMatchObject({ MetricName: 'ShardTaskReplaced', Threshold: 3 });
  });

  it('counts log lines the router really writes (a renamed message would silence its alarm)', () => {
    const source = ['src/cli/commands/run.ts', 'src/shard/drivers/ecs.ts', 'src/router/dispatcher.ts']
      .map((f) => readFileSync(new URL(`../../../${f}`, import.meta.url), 'utf8')).join('\n');
    for (const msg of Object.values(ROUTER_LOG_SIGNALS)) expect(source, msg).toContain(`'${msg}'`);
  });

  it('sends every alarm to the fleet topic, and mails it when alarmEmail is set', () => {
    const topic = resources(t, 'AWS::SNS::Topic')[0]![0];
    expect(alarms().length).toBe(7);
    for (const [, a] of alarms()) expect(a.AlarmActions).toEqual([{ Ref: topic }]);
    t.resourceCountIs('AWS::SNS::Subscription', 0);
    synth({ alarmEmail: 'ops@anycompany.corp' }).hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@anycompany.corp' });
  });
});
