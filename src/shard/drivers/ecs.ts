import {
  DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand,
  type CapacityProviderStrategyItem, type DesiredStatus, type Failure, type RunTaskCommandInput, type Task,
} from '@aws-sdk/client-ecs';
import PQueue from 'p-queue';
import { componentLogger } from '../../log.ts';
import { isShardId, shardIndex, type ShardDriver } from './driver.ts';

const log = componentLogger('ecs-shards');

export interface EcsDriverOptions {
  client?: ECSClient;
  cluster: string;
  /** Family, family:revision or ARN of the shard task definition. */
  taskDefinition: string;
  subnets: string[];
  securityGroups: string[];
  assignPublicIp?: boolean;
  /** The shard container's name in the task definition (overrides are addressed by name). */
  containerName: string;
  /** How shards reach the router; passed to every task as FLEET_ROUTER__URL. */
  routerUrl: string;
  /** Each task gets its own shard token (FLEET_SHARD_TOKEN), never the fleet secret. */
  tokenFor?: (shardId: string) => string;
  launchType?: 'FARGATE';
  /** E.g. FARGATE_SPOT with a FARGATE fallback; replaces launchType (ECS accepts one or the other). */
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  /** Marks this fleet's tasks among others of the same family; up to 128 letters, digits, -, / and _. Default 'open-claw-fleet'. */
  startedBy?: string;
  /** Concurrent RunTask/StopTask calls (ECS throttles RunTask); default 5. */
  concurrency?: number;
}

export interface ShardTaskHealth {
  shardId: string;
  taskArn: string;
  lastStatus: string;
  desiredStatus: string;
  healthStatus: string;
  stoppedReason?: string;
  startedAt?: Date;
}

/** Why we stop tasks; a STOPPED task with any other reason died on its own and is worth replacing. */
export const STOP_REASON_SCALED_DOWN = 'scaled down';
export const STOP_REASON_FLEET_STOPPED = 'fleet stopped';
export const STOP_REASON_DUPLICATE = 'duplicate shard task';
export const STOP_REASON_DRAINED = 'drained by an operator';
/** Not one of "ours" either: reconcile() starts the shard again once its old task is STOPPED. */
export const STOP_REASON_RESTART = 'restarted by an operator';
/** Not one of "ours": a shard stopped for failing its health check is to be replaced, even by a restarted router. */
export const STOP_REASON_UNHEALTHY = 'failed its health check; replaced';
const OUR_STOP_REASONS = new Set([STOP_REASON_SCALED_DOWN, STOP_REASON_FLEET_STOPPED, STOP_REASON_DUPLICATE, STOP_REASON_DRAINED]);
export const SHARD_TAG = 'open-claw-fleet:shard';

/** ECS caps: ListTasks returns ≤100 ARNs per page, DescribeTasks accepts ≤100 ARNs. */
const DESCRIBE_BATCH = 100;


export class RunTaskFailedError extends Error {
  constructor(failures: Array<{ shardId: string; detail: string }>) {
    super(`ECS could not start ${failures.length} shard task(s): ${failures.map((f) => `${f.shardId}: ${f.detail}`).join('; ')}`);
    this.name = 'RunTaskFailedError';
  }
}

/**
 * Shards as ECS tasks (one task = one shard process hosting many agents). The fleet's tasks are found by
 * task-definition family and `startedBy`, and each task says which shard it is through the SHARD_ID in its container overrides, so the
 * driver keeps no state that a router restart could lose.
 */
export class EcsShardDriver implements ShardDriver {
  readonly kind = 'ecs';
  private readonly opts: EcsDriverOptions;
  private readonly client: ECSClient;
  private readonly startedBy: string;
  private readonly family: string;
  private readonly queue: PQueue;
  /** Tasks we launched: ListTasks is eventually consistent, and a task missing from it must not be launched twice. */
  private readonly launched = new Set<string>();
  private readonly stoppedByUs = new Set<string>();
  /** The count of the last scale(); reconcile() keeps shards below it alive. */
  private wanted: number | undefined;
  /** Shards stop() took out below the count: neither scale() nor reconcile() launches them until the count changes. */
  private readonly held = new Set<string>();
  /** scale, reconcile and stopAll each read then act; serialising them keeps two from launching the same shard. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(opts: EcsDriverOptions) {
    this.opts = opts;
    this.client = opts.client ?? new ECSClient({});
    this.startedBy = opts.startedBy ?? 'open-claw-fleet';
    this.family = taskDefinitionFamily(opts.taskDefinition);
    this.queue = new PQueue({ concurrency: opts.concurrency ?? 5 });
  }

  scale(count: number): Promise<void> {
    return this.exclusive(async () => {
      if (count !== this.wanted) this.held.clear();
      this.wanted = count;
      const [running, stopped] = await Promise.all([this.tasks('RUNNING'), this.tasks('STOPPED')]);
      const live = liveByShard(running, this.opts.containerName);
      // A shard whose task is still stopping (restart, Spot interruption) gets its replacement from reconcile()
      // once that task is STOPPED: two processes must never share a shard's store.
      const draining = this.stoppingShards(stopped);
      const missing = range(count).filter((id) => !live.has(id) && !this.held.has(id) && !draining.has(id));
      const extra = [...live].filter(([id]) => shardIndex(id) >= count).flatMap(([, tasks]) => tasks);
      // Two tasks claiming one shard id would both heartbeat as it; keep the one that has been up longest.
      const duplicates = [...live].filter(([id]) => shardIndex(id) < count)
        .flatMap(([, tasks]) => oldestFirst(tasks).slice(1));
      log.info({ count, launching: missing, stopping: extra.length, duplicates: duplicates.length }, 'scaling shards');
      await Promise.all([
        this.launch(missing),
        this.stopTasks(extra, STOP_REASON_SCALED_DOWN),
        this.stopTasks(duplicates, STOP_REASON_DUPLICATE),
      ]);
    });
  }

  async running(): Promise<string[]> {
    return [...liveByShard(await this.tasks('RUNNING'), this.opts.containerName).keys()].sort(byIndex);
  }

  /** The newest task of each shard, live ones first: what an operator wants to see. */
  async health(): Promise<ShardTaskHealth[]> {
    const [live, stopped] = await Promise.all([this.tasks('RUNNING'), this.tasks('STOPPED')]);
    const newest = new Map<string, Task>();
    // Later entries win: stopped before live, older before newer.
    for (const task of [...oldestFirst(stopped), ...oldestFirst(live.filter(isLive))]) {
      newest.set(shardIdOf(task, this.opts.containerName)!, task);
    }
    return [...newest].sort(([a], [b]) => byIndex(a, b)).map(([shardId, t]) => ({
      shardId,
      taskArn: t.taskArn ?? '',
      lastStatus: t.lastStatus ?? 'UNKNOWN',
      desiredStatus: t.desiredStatus ?? 'UNKNOWN',
      healthStatus: t.healthStatus ?? 'UNKNOWN',
      ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
      ...(t.startedAt ? { startedAt: t.startedAt } : {}),
    }));
  }

  /**
   * Replaces shards whose task stopped without us asking (crash, OOM, Spot interruption) and shards whose
   * container is UNHEALTHY: ECS replaces unhealthy tasks only for services, and shard tasks are standalone.
   * Shards we scaled away stay stopped. Returns the shard ids it launched.
   */
  reconcile(): Promise<string[]> {
    return this.exclusive(async () => {
      const [live, stopped] = await Promise.all([this.tasks('RUNNING'), this.tasks('STOPPED')]);
      const unhealthy = live.filter((t) => isLive(t) && t.healthStatus === 'UNHEALTHY');
      if (unhealthy.length > 0) await this.stopTasks(unhealthy, STOP_REASON_UNHEALTHY, false);
      const alive = liveByShard(live.filter((t) => !unhealthy.includes(t)), this.opts.containerName);
      const dead = new Set<string>(unhealthy.map((t) => shardIdOf(t, this.opts.containerName)!));
      for (const task of stopped) if (this.stoppedUnexpectedly(task)) dead.add(shardIdOf(task, this.opts.containerName)!);
      // A task told to stop is still draining until ECS reports it STOPPED: a replacement now would have two
      // processes write the same shard database and agent directories. It is replaced on a later pass.
      // A task just told to stop (unhealthy) drains too.
      const draining = new Set([...this.stoppingShards(stopped), ...unhealthy.map((t) => shardIdOf(t, this.opts.containerName)!)]);
      // After scale() we also know which shards should exist even if ECS has already forgotten their tasks.
      if (this.wanted !== undefined) for (const id of range(this.wanted)) dead.add(id);
      const wanted = (id: string) => (this.wanted === undefined || shardIndex(id) < this.wanted) && !this.held.has(id);
      const restart = [...dead].filter((id) => wanted(id) && !alive.has(id) && !draining.has(id)).sort(byIndex);
      if (restart.length === 0) return [];
      for (const id of restart) {
        const last = oldestFirst(stopped).findLast((t) => shardIdOf(t, this.opts.containerName) === id);
        const why = unhealthy.some((t) => shardIdOf(t, this.opts.containerName) === id)
          ? { healthStatus: 'UNHEALTHY' } : { stoppedReason: last?.stoppedReason, stopCode: last?.stopCode };
        if (last?.stoppedReason === STOP_REASON_RESTART) log.info({ shard: id }, 'restarted shard task stopped; starting it again');
        else log.warn({ shard: id, ...why }, 'shard task died; starting a replacement');
      }
      await this.launch(restart);
      return restart;
    });
  }

  stopAll(): Promise<void> {
    return this.exclusive(async () => {
      this.wanted = 0;
      await this.stopTasks((await this.tasks('RUNNING')).filter(isLive), STOP_REASON_FLEET_STOPPED);
    });
  }

  stop(shardId: string): Promise<void> {
    return this.exclusive(async () => {
      if (!isShardId(shardId)) throw new Error(`not a shard id: ${shardId}`);
      this.held.add(shardId);
      await this.stopTasks(this.liveTasksOf(shardId, await this.tasks('RUNNING')), STOP_REASON_DRAINED);
    });
  }

  /**
   * Stops the shard's task; reconcile() launches its replacement once ECS reports the old one STOPPED (never two
   * processes on one shard's store). A stopped shard is launched at once.
   */
  restart(shardId: string): Promise<void> {
    return this.exclusive(async () => {
      if (!isShardId(shardId)) throw new Error(`not a shard id: ${shardId}`);
      this.held.delete(shardId);
      const live = this.liveTasksOf(shardId, await this.tasks('RUNNING'));
      if (live.length > 0) await this.stopTasks(live, STOP_REASON_RESTART, false);
      else await this.launch([shardId]);
    });
  }

  /** The RunTask request for one shard; public so the CLI can show what it would run. */
  runTaskInput(shardId: string): RunTaskCommandInput {
    const o = this.opts;
    return {
      cluster: o.cluster,
      taskDefinition: o.taskDefinition,
      count: 1,
      startedBy: this.startedBy,
      ...(o.capacityProviderStrategy?.length
        ? { capacityProviderStrategy: o.capacityProviderStrategy }
        : { launchType: o.launchType ?? 'FARGATE' }),
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: o.subnets,
          securityGroups: o.securityGroups,
          assignPublicIp: o.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
      overrides: {
        containerOverrides: [{
          name: o.containerName,
          environment: [
            { name: 'SHARD_ID', value: shardId },
            { name: 'FLEET_SHARD_ID', value: shardId },
            { name: 'FLEET_ROUTER__URL', value: o.routerUrl },
            ...(o.tokenFor ? [{ name: 'FLEET_SHARD_TOKEN', value: o.tokenFor(shardId) }] : []),
          ],
        }],
      },
      tags: [{ key: SHARD_TAG, value: shardId }, { key: 'open-claw-fleet:started-by', value: this.startedBy }],
      propagateTags: 'TASK_DEFINITION',
    };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn, fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private stoppingShards(stopped: Task[]): Set<string> {
    return new Set(stopped.filter((t) => t.lastStatus !== 'STOPPED').map((t) => shardIdOf(t, this.opts.containerName)!));
  }

  private liveTasksOf(shardId: string, tasks: Task[]): Task[] {
    return liveByShard(tasks, this.opts.containerName).get(shardId) ?? [];
  }

  private stoppedUnexpectedly(task: Task): boolean {
    if (task.taskArn && this.stoppedByUs.has(task.taskArn)) return false;
    return !OUR_STOP_REASONS.has(task.stoppedReason ?? '');
  }

  private async launch(shardIds: string[]): Promise<void> {
    const failures: Array<{ shardId: string; detail: string }> = [];
    await Promise.all(shardIds.map((shardId) => this.queue.add(async () => {
      try {
        let out = await this.client.send(new RunTaskCommand(this.runTaskInput(shardId)));
        // Spot has no capacity right now: the shard runs on regular Fargate rather than not at all.
        if (!out.tasks?.length && this.opts.capacityProviderStrategy?.some((c) => c.capacityProvider === 'FARGATE_SPOT')
          && (out.failures ?? []).some((f) => /capacity/i.test(`${f.reason ?? ''} ${f.detail ?? ''}`))) {
          log.warn({ shard: shardId, failures: out.failures?.map(describeFailure) }, 'no Spot capacity; starting the shard on on-demand Fargate');
          const { capacityProviderStrategy: _spot, ...onDemand } = this.runTaskInput(shardId);
          out = await this.client.send(new RunTaskCommand({ ...onDemand, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }));
        }
        for (const f of out.failures ?? []) failures.push({ shardId, detail: describeFailure(f) });
        const arns = (out.tasks ?? []).map((t) => t.taskArn).filter((a): a is string => !!a);
        for (const arn of arns) this.launched.add(arn);
        if (arns.length > 0) log.info({ shard: shardId, taskArn: arns[0] }, 'shard task started');
        else if (!out.failures?.length) failures.push({ shardId, detail: 'RunTask returned no task and no failure' });
      } catch (err) {
        failures.push({ shardId, detail: (err as Error).message });
      }
    })));
    if (failures.length > 0) throw new RunTaskFailedError(failures.sort((a, b) => byIndex(a.shardId, b.shardId)));
  }

  /** `deliberate`: the shard is not wanted any more, so reconcile() must not bring it back. */
  private async stopTasks(tasks: Task[], reason: string, deliberate = true): Promise<void> {
    await Promise.all(tasks.map((task) => this.queue.add(async () => {
      const arn = task.taskArn!;
      if (deliberate) this.stoppedByUs.add(arn);
      await this.client.send(new StopTaskCommand({ cluster: this.opts.cluster, task: arn, reason }));
      log.info({ shard: shardIdOf(task, this.opts.containerName), taskArn: arn, reason }, 'shard task stopped');
    })));
  }

  /** This fleet's tasks with the given desired status, described, keeping only those that name a shard. */
  private async tasks(desiredStatus: DesiredStatus): Promise<Task[]> {
    const arns = new Set<string>();
    let nextToken: string | undefined;
    do {
      // ListTasks refuses startedBy combined with any other filter, so list by family and check startedBy below.
      const page = await this.client.send(new ListTasksCommand({
        cluster: this.opts.cluster, family: this.family, desiredStatus, ...(nextToken ? { nextToken } : {}),
      }));
      for (const arn of page.taskArns ?? []) arns.add(arn);
      nextToken = page.nextToken;
    } while (nextToken);
    // Our own fresh launches may not be listed yet; describing them directly shows their real status.
    if (desiredStatus === 'RUNNING') for (const arn of this.launched) arns.add(arn);
    const described: Task[] = [];
    const all = [...arns];
    for (let i = 0; i < all.length; i += DESCRIBE_BATCH) {
      const out = await this.client.send(new DescribeTasksCommand({
        cluster: this.opts.cluster, tasks: all.slice(i, i + DESCRIBE_BATCH), include: ['TAGS'],
      }));
      described.push(...(out.tasks ?? []));
      // A task ECS no longer knows about cannot come back: stop describing it.
      for (const f of out.failures ?? []) if (f.reason === 'MISSING' && f.arn) this.launched.delete(f.arn);
    }
    for (const t of described) if (t.lastStatus === 'STOPPED' && t.taskArn) this.launched.delete(t.taskArn);
    const wantStopped = desiredStatus === 'STOPPED';
    return described.filter((t) => t.startedBy === this.startedBy && shardIdOf(t, this.opts.containerName) !== undefined
      && (wantStopped ? t.lastStatus === 'STOPPED' || t.desiredStatus === 'STOPPED' : t.desiredStatus !== 'STOPPED'));
  }
}

/** The shard a task runs: its container override's SHARD_ID, else its shard tag. */
export function shardIdOf(task: Task, containerName: string): string | undefined {
  const env = task.overrides?.containerOverrides?.find((c) => c.name === containerName)?.environment ?? [];
  const fromEnv = env.find((e) => e.name === 'SHARD_ID')?.value ?? env.find((e) => e.name === 'FLEET_SHARD_ID')?.value;
  const id = fromEnv ?? task.tags?.find((t) => t.key === SHARD_TAG)?.value;
  return id && isShardId(id) ? id : undefined;
}

/** `arn:…:task-definition/fleet-shard:7`, `fleet-shard:7` and `fleet-shard` all name the family `fleet-shard`. */
export function taskDefinitionFamily(taskDefinition: string): string {
  return taskDefinition.slice(taskDefinition.lastIndexOf('/') + 1).replace(/:\d+$/, '');
}

function isLive(task: Task): boolean {
  return task.desiredStatus !== 'STOPPED' && task.lastStatus !== 'STOPPED';
}

function liveByShard(tasks: Task[], containerName: string): Map<string, Task[]> {
  const out = new Map<string, Task[]>();
  for (const task of tasks.filter(isLive)) {
    const id = shardIdOf(task, containerName);
    if (id) out.set(id, [...(out.get(id) ?? []), task]);
  }
  return out;
}

const taskTime = (t: Task): number => (t.stoppedAt ?? t.startedAt ?? t.createdAt)?.getTime() ?? 0;
const oldestFirst = (tasks: Task[]): Task[] => [...tasks].sort((a, b) => taskTime(a) - taskTime(b));

function describeFailure(f: Failure): string {
  return [f.reason ?? 'unknown reason', f.detail, f.arn].filter(Boolean).join(' — ');
}

const range = (count: number): string[] => Array.from({ length: count }, (_, i) => `shard-${i}`);
const byIndex = (a: string, b: string): number => shardIndex(a) - shardIndex(b);
