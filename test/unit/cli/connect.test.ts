import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { EventEmitter } from 'node:events';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  PORT_FORWARD_DOCUMENT, planConnection, registerConnectCommands, runTunnels, shardTokenLines, startSessionArgs,
  type AwsClients, type ConnectOptions, type Spawner,
} from '../../../src/cli/commands/connect.ts';
import { fleetConfigSchema } from '../../../src/config/schema.ts';
import { shardToken } from '../../../src/protocol/wire.ts';

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const OPTS: ConnectOptions = { stackName: 'OpenClawFleet', region: 'eu-west-3', homeserverPort: 16167, commandCenterPort: 18080 };
const OUTPUTS = {
  BastionInstanceId: 'i-0123456789abcdef0',
  HomeserverHost: 'conduit.fleet.internal',
  HomeserverPort: '6167',
  CommandCenterHost: 'internal-OpenC-Comma-1.eu-west-3.elb.amazonaws.com',
  CommandCenterPort: '80',
};

function clients(region = 'eu-west-3'): AwsClients & { cf: ReturnType<typeof mockClient>; ssmMock: ReturnType<typeof mockClient> } {
  const cloudFormation = new CloudFormationClient({ region, credentials });
  const ssm = new SSMClient({ region, credentials });
  return { cloudFormation, ssm, cf: mockClient(cloudFormation), ssmMock: mockClient(ssm) };
}

const stack = (outputs: Record<string, string>) => ({
  Stacks: [{ StackName: 'OpenClawFleet', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE' as const,
    Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }],
});

describe('./fleet connect: the plan from the stack outputs', () => {
  let c: ReturnType<typeof clients>;
  beforeEach(() => {
    c = clients();
    c.cf.on(DescribeStacksCommand, { StackName: 'OpenClawFleet' }).resolves(stack(OUTPUTS));
    c.ssmMock.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ InstanceId: OUTPUTS.BastionInstanceId, PingStatus: 'Online' }] });
  });

  it('tunnels to Conduit and the command center through the bastion, in the clients\' region', async () => {
    const plan = await planConnection(OPTS, c);
    expect(plan).toEqual({
      region: 'eu-west-3',
      bastionId: 'i-0123456789abcdef0',
      tunnels: [
        { name: 'homeserver', host: 'conduit.fleet.internal', remotePort: 6167, localPort: 16167 },
        { name: 'command center', host: OUTPUTS.CommandCenterHost, remotePort: 80, localPort: 18080 },
      ],
    });
    expect(c.ssmMock.commandCalls(DescribeInstanceInformationCommand)[0]!.args[0].input)
      .toEqual({ Filters: [{ Key: 'InstanceIds', Values: ['i-0123456789abcdef0'] }] });
  });

  it('builds the exact `aws ssm start-session` argv for each tunnel', async () => {
    const plan = await planConnection(OPTS, c);
    expect(startSessionArgs(plan, plan.tunnels[0]!)).toEqual([
      'ssm', 'start-session', '--region', 'eu-west-3', '--target', 'i-0123456789abcdef0',
      '--document-name', PORT_FORWARD_DOCUMENT,
      '--parameters', '{"host":["conduit.fleet.internal"],"portNumber":["6167"],"localPortNumber":["16167"]}',
    ]);
    expect(PORT_FORWARD_DOCUMENT).toBe('AWS-StartPortForwardingSessionToRemoteHost');
    expect(JSON.parse(startSessionArgs(plan, plan.tunnels[1]!).at(-1)!)).toEqual({
      host: [OUTPUTS.CommandCenterHost], portNumber: ['80'], localPortNumber: ['18080'],
    });
  });

  it('names the missing outputs of an older stack', async () => {
    const { CommandCenterHost: _h, BastionInstanceId: _b, ...older } = OUTPUTS;
    c.cf.on(DescribeStacksCommand).resolves(stack(older));
    await expect(planConnection(OPTS, c)).rejects.toThrow(/has no output BastionInstanceId, CommandCenterHost/);
  });

  it('refuses a bastion that Session Manager does not see online', async () => {
    c.ssmMock.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [] });
    await expect(planConnection(OPTS, c)).rejects.toThrow(/i-0123456789abcdef0 is not registered in Session Manager \(eu-west-3\)/);
    c.ssmMock.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ PingStatus: 'ConnectionLost' }] });
    await expect(planConnection(OPTS, c)).rejects.toThrow(/is ConnectionLost/);
  });

  it('takes its region from the SDK when none is configured, and says so when there is none', async () => {
    const other = clients('ap-south-1');
    other.cf.on(DescribeStacksCommand).resolves(stack(OUTPUTS));
    other.ssmMock.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ PingStatus: 'Online' }] });
    expect((await planConnection({ ...OPTS, region: '' }, other)).region).toBe('ap-south-1');

    const none = { cloudFormation: new CloudFormationClient({ credentials }), ssm: new SSMClient({ credentials }) };
    const saved = { r: process.env.AWS_REGION, d: process.env.AWS_DEFAULT_REGION, p: process.env.AWS_PROFILE };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    process.env.AWS_PROFILE = 'fleet-test-profile-that-does-not-exist';
    try {
      await expect(planConnection({ ...OPTS, region: '' }, none)).rejects.toThrow(/no AWS region: set connect.region/);
    } finally {
      for (const [k, v] of [['AWS_REGION', saved.r], ['AWS_DEFAULT_REGION', saved.d], ['AWS_PROFILE', saved.p]] as const) {
        if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
    }
  });
});

/** A child process stand-in: records how it was started, exits when told. */
class FakeChild extends EventEmitter {
  exitCode: number | null = null;
  killedWith: string | undefined;
  readonly cmd: string;
  readonly args: string[];
  constructor(cmd: string, args: string[]) {
    super();
    this.cmd = cmd;
    this.args = args;
  }
  kill(signal: string) {
    this.killedWith = signal;
    this.exit(143);
    return true;
  }
  exit(code: number) {
    this.exitCode = code;
    this.emit('exit', code);
  }
}

describe('./fleet connect: the tunnels', () => {
  const plan = {
    region: 'eu-west-3', bastionId: 'i-1',
    tunnels: [
      { name: 'homeserver' as const, host: 'conduit.fleet.internal', remotePort: 6167, localPort: 6167 },
      { name: 'command center' as const, host: 'alb.internal', remotePort: 80, localPort: 8080 },
    ],
  };
  const fake = () => {
    const started: FakeChild[] = [];
    const spawner: Spawner = (cmd, args) => {
      const child = new FakeChild(cmd, args);
      started.push(child);
      return child as unknown as ChildProcess;
    };
    return { started, spawner };
  };

  it('runs one aws session per tunnel and ends both on Ctrl-C', async () => {
    const { started, spawner } = fake();
    const signals = new EventEmitter();
    const done = runTunnels(plan, spawner, signals);
    expect(started.map((c) => [c.cmd, ...c.args.slice(0, 6)])).toEqual([
      ['aws', 'ssm', 'start-session', '--region', 'eu-west-3', '--target', 'i-1'],
      ['aws', 'ssm', 'start-session', '--region', 'eu-west-3', '--target', 'i-1'],
    ]);
    signals.emit('SIGINT');
    expect(await done).toBe(0);
    expect(started.map((c) => c.killedWith)).toEqual(['SIGTERM', 'SIGTERM']);
  });

  it('closes the other tunnel and fails when one session ends', async () => {
    const { started, spawner } = fake();
    const done = runTunnels(plan, spawner, new EventEmitter());
    started[1]!.exit(255);
    expect(await done).toBe(1);
    expect(started[0]!.killedWith).toBe('SIGTERM');
    expect(started[1]!.killedWith).toBeUndefined();
  });
});

describe('./fleet shard-token and the connect config', () => {
  it('prints each shard\'s HMAC token, as .env lines when asked, and rejects what is not a shard id', () => {
    expect(shardTokenLines('s3cret', ['shard-0', 'shard-12'], true)).toEqual([
      `FLEET_SHARD_TOKEN_0=${shardToken('s3cret', 'shard-0')}`, `FLEET_SHARD_TOKEN_12=${shardToken('s3cret', 'shard-12')}`,
    ]);
    expect(shardTokenLines('s3cret', ['shard-1'], false)).toEqual([shardToken('s3cret', 'shard-1')]);
    expect(() => shardTokenLines('s3cret', ['router'], false)).toThrow(/not a shard id/);
  });

  it('registers `connect` with --stack, --region and --print, and `shard-token`', () => {
    const program = new Command();
    registerConnectCommands(program);
    const connect = program.commands.find((c) => c.name() === 'connect')!;
    expect(connect.options.map((o) => o.long)).toEqual(['--stack', '--region', '--print']);
    expect(program.commands.map((c) => c.name())).toContain('shard-token');
  });

  it('is a ./fleet command: `connect --help` answers from the real CLI', () => {
    const out = execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/cli/main.ts', 'connect', '--help'],
      { cwd: new URL('../../../', import.meta.url), encoding: 'utf8' });
    expect(out).toMatch(/^Usage: fleet connect \[options\]/);
    expect(out).toContain('--print');
  });

  it('defaults connect.* to the stack name and the local ports, with no region of its own', () => {
    const base = { domain: 'a.corp', ceo: { name: 'C' }, homeserver: {}, appservice: { registration: 'r', id: 'i', senderLocalpart: 'b' },
      router: { host: 'h', port: 1, url: 'http://h:1' }, shards: { count: 1, host: 'h', basePort: 2, heartbeatMs: 1000, deadAfterMs: 5000 },
      agents: { dataDir: 'd' }, model: { default: { kind: 'scripted' } } };
    expect(fleetConfigSchema.parse(base).connect).toEqual({ stackName: 'OpenClawFleet', region: '', homeserverPort: 6167, commandCenterPort: 8080 });
  });
});
