import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Command } from 'commander';
import { shardToken } from '../../protocol/wire.ts';
import { fleetContext } from '../context.ts';

/** The stack outputs `connect` reads (infra/lib/fleet-stack.ts writes them). */
export const CONNECT_OUTPUTS = {
  bastion: 'BastionInstanceId',
  homeserverHost: 'HomeserverHost',
  homeserverPort: 'HomeserverPort',
  commandCenterHost: 'CommandCenterHost',
  commandCenterPort: 'CommandCenterPort',
} as const;

/** Session Manager's document for a tunnel through an instance to another host of its VPC. */
export const PORT_FORWARD_DOCUMENT = 'AWS-StartPortForwardingSessionToRemoteHost';

export interface Tunnel {
  name: 'homeserver' | 'command center';
  host: string;
  remotePort: number;
  localPort: number;
}

export interface ConnectPlan {
  region: string;
  bastionId: string;
  tunnels: Tunnel[];
}

export interface ConnectOptions {
  stackName: string;
  /** Empty: whatever the SDK resolves (AWS_REGION, the profile), so the CLI and the SDK agree. */
  region: string;
  homeserverPort: number;
  commandCenterPort: number;
}

export interface AwsClients {
  cloudFormation: CloudFormationClient;
  ssm: SSMClient;
}

export function awsClients(region: string): AwsClients {
  const cfg = region ? { region } : {};
  return { cloudFormation: new CloudFormationClient(cfg), ssm: new SSMClient(cfg) };
}

/** Reads the stack's outputs, checks that the bastion is online in Session Manager, and plans both tunnels. */
export async function planConnection(opts: ConnectOptions, clients: AwsClients): Promise<ConnectPlan> {
  const region = await clients.cloudFormation.config.region().catch(() => {
    throw new Error('no AWS region: set connect.region in config/fleet.yaml, pass --region, or set AWS_REGION');
  });
  const out = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: opts.stackName }));
  const outputs = new Map((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const missing = Object.values(CONNECT_OUTPUTS).filter((k) => !outputs.get(k));
  if (missing.length > 0) {
    throw new Error(`stack ${opts.stackName} in ${region} has no output ${missing.join(', ')}: deploy the current infra/ first (docs/deploy-aws.md)`);
  }
  const get = (k: keyof typeof CONNECT_OUTPUTS): string => outputs.get(CONNECT_OUTPUTS[k])!;
  const bastionId = get('bastion');

  const info = await clients.ssm.send(new DescribeInstanceInformationCommand({
    Filters: [{ Key: 'InstanceIds', Values: [bastionId] }],
  }));
  const ping = info.InstanceInformationList?.[0]?.PingStatus;
  if (ping !== 'Online') {
    throw new Error(`the bastion ${bastionId} is ${ping ?? 'not registered'} in Session Manager (${region}); `
      + 'it registers a few minutes after it starts: check that it is running, then try again');
  }
  return {
    region,
    bastionId,
    tunnels: [
      { name: 'homeserver', host: get('homeserverHost'), remotePort: Number(get('homeserverPort')), localPort: opts.homeserverPort },
      { name: 'command center', host: get('commandCenterHost'), remotePort: Number(get('commandCenterPort')), localPort: opts.commandCenterPort },
    ],
  };
}

/** The `aws` CLI argv for one tunnel (the Session Manager plugin does the forwarding). */
export function startSessionArgs(plan: Pick<ConnectPlan, 'region' | 'bastionId'>, tunnel: Tunnel): string[] {
  return [
    'ssm', 'start-session',
    '--region', plan.region,
    '--target', plan.bastionId,
    '--document-name', PORT_FORWARD_DOCUMENT,
    '--parameters', JSON.stringify({
      host: [tunnel.host], portNumber: [String(tunnel.remotePort)], localPortNumber: [String(tunnel.localPort)],
    }),
  ];
}

export type Spawner = (cmd: string, args: string[], opts: SpawnOptions) => ChildProcess;

/**
 * Runs one `aws ssm start-session` per tunnel until a signal or until one of them ends; then ends the others, so
 * that a half-open connection never looks like a working one. Resolves with the exit status to return.
 */
export function runTunnels(plan: ConnectPlan, spawner: Spawner = spawn, signals: NodeJS.EventEmitter = process): Promise<number> {
  const children = plan.tunnels.map((t) => spawner('aws', startSessionArgs(plan, t), { stdio: ['ignore', 'ignore', 'inherit'] }));
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number) => {
      if (done) return;
      done = true;
      for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
      resolve(status);
    };
    children.forEach((c, i) => {
      c.once('error', (err: Error) => {
        console.error(`could not run \`aws\` for the ${plan.tunnels[i]!.name} tunnel (${err.message}): install the AWS CLI v2 and the Session Manager plugin`);
        finish(1);
      });
      c.once('exit', (code) => {
        if (!done) console.error(`the ${plan.tunnels[i]!.name} tunnel ended (aws exited with ${code}); closing the other`);
        finish(code === 0 ? 0 : 1);
      });
    });
    signals.once('SIGINT', () => finish(0));
    signals.once('SIGTERM', () => finish(0));
  });
}

export function describePlan(plan: ConnectPlan): string {
  const [hs, web] = plan.tunnels;
  return [
    `Connected through ${plan.bastionId} (${plan.region}):`,
    `  Web chat:    http://localhost:${web!.localPort}/   (dashboard: http://localhost:${web!.localPort}/dashboard/)`,
    `  Homeserver:  http://localhost:${hs!.localPort}   (for Element or any Matrix client)`,
    '  Ctrl-C closes both tunnels.',
  ].join('\n');
}

/** `FLEET_SHARD_TOKEN_<n>=…` lines for compose (deploy/.env), or one token per line. */
export function shardTokenLines(secret: string, shardIds: string[], asEnv: boolean): string[] {
  return shardIds.map((id) => {
    if (!/^shard-\d+$/.test(id)) throw new Error(`"${id}" is not a shard id (shard-0, shard-1, …)`);
    const token = shardToken(secret, id);
    return asEnv ? `FLEET_SHARD_TOKEN_${id.slice('shard-'.length)}=${token}` : token;
  });
}

export function registerConnectCommands(program: Command): void {
  program.command('connect')
    .description('open SSM port forwards through the AWS stack\'s bastion to the homeserver and the command center')
    .option('--stack <name>', 'CloudFormation stack (default: connect.stackName)')
    .option('--region <region>', 'AWS region (default: connect.region, else AWS_REGION / the profile\'s)')
    .option('--print', 'print the aws commands instead of running them')
    .action(async (opts: { stack?: string; region?: string; print?: boolean }) => {
      const { connect } = fleetContext().config;
      const options = { ...connect, stackName: opts.stack ?? connect.stackName, region: opts.region ?? connect.region };
      const plan = await planConnection(options, awsClients(options.region));
      if (opts.print) {
        for (const t of plan.tunnels) console.log(['aws', ...startSessionArgs(plan, t).map(shellQuote)].join(' '));
        return;
      }
      console.log(describePlan(plan));
      process.exitCode = await runTunnels(plan);
    });

  program.command('shard-token')
    .description('print the token of each shard id, HMAC(FLEET_SHARD_SECRET, id), for shards you run yourself (deploy/compose.yaml)')
    .argument('<ids...>', 'shard ids: shard-0 shard-1 …')
    .option('--env', 'print FLEET_SHARD_TOKEN_<n>=<token> lines for deploy/.env')
    .action((ids: string[], opts: { env?: boolean }) => {
      // Not generated here: a token from a fresh random secret would match no router.
      const secret = process.env.FLEET_SHARD_SECRET;
      if (!secret) throw new Error('set FLEET_SHARD_SECRET to the router\'s fleet secret (deploy/.env)');
      for (const line of shardTokenLines(secret, ids, opts.env ?? false)) console.log(line);
    });
}

const shellQuote = (s: string): string => (/^[\w./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
