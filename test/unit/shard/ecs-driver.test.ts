import {
  DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand,
  type RunTaskCommandInput, type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsShardDriver, shardIdOf, taskDefinitionFamily, type EcsDriverOptions } from '../../../src/shard/drivers/ecs.ts';

const CLUSTER = 'arn:aws:ecs:us-east-1:111122223333:cluster/fleet';
const TASK_DEF = 'arn:aws:ecs:us-east-1:111122223333:task-definition/fleet-shard:7';
const ROUTER_URL = 'http://router.fleet.internal:9000';

/**
 * A small in-memory ECS: RunTask creates a PENDING task carrying its overrides, StopTask stops it with the
 * reason given, ListTasks filters by startedBy and desired status (paging by 2 to exercise nextToken).
 */
class FakeEcs {
  readonly client = new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  readonly mock = mockClient(this.client);
  readonly tasks: Task[] = [];
  runFailures: Array<{ reason: string; detail?: string }> = [];
  private seq = 0;

  constructor() {
    this.mock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
      if (this.runFailures.length > 0) return { tasks: [], failures: this.runFailures };
      const shardId = input.overrides!.containerOverrides![0]!.environment!.find((e) => e.name === 'SHARD_ID')!.value!;
      return { tasks: [this.add(input.startedBy!, shardId, input, 'PENDING', input.taskDefinition)] };
    });
    this.mock.on(StopTaskCommand).callsFake((input: { task: string; reason: string }) => {
      const t = this.tasks.find((x) => x.taskArn === input.task)!;
      Object.assign(t, { desiredStatus: 'STOPPED', lastStatus: 'STOPPED', stoppedReason: input.reason, stopCode: 'UserInitiated', stoppedAt: new Date() });
      return { task: t };
    });
    this.mock.on(ListTasksCommand).callsFake((input: { family?: string; startedBy?: string; desiredStatus?: string; nextToken?: string }) => {
      // The real API rejects startedBy together with another filter.
      if (input.startedBy && (input.family || input.desiredStatus)) throw new Error('InvalidParameterException: startedBy must be the only filter');
      const arns = this.tasks
        .filter((t) => (!input.family || taskDefinitionFamily(t.taskDefinitionArn!) === input.family))
        .filter((t) => (!input.startedBy || t.startedBy === input.startedBy) && t.desiredStatus === (input.desiredStatus ?? 'RUNNING'))
        .map((t) => t.taskArn!);
      const from = Number(input.nextToken ?? 0);
      const next = from + 2 < arns.length ? String(from + 2) : undefined;
      return { taskArns: arns.slice(from, from + 2), ...(next ? { nextToken: next } : {}) };
    });
    this.mock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: this.tasks.filter((t) => input.tasks.includes(t.taskArn!)).map((t) => structuredClone(t)),
    }));
  }

  /** A task as RunTask would leave it, optionally started by someone else or already running. */
  add(startedBy: string, shardId: string, input?: Partial<RunTaskCommandInput>, lastStatus = 'PENDING', taskDefinitionArn = TASK_DEF): Task {
    const task: Task = {
      taskArn: `arn:aws:ecs:us-east-1:111122223333:task/fleet/${++this.seq}`,
      taskDefinitionArn,
      startedBy, lastStatus, desiredStatus: 'RUNNING', healthStatus: 'UNKNOWN', createdAt: new Date(1_000 + this.seq),
      overrides: input?.overrides ?? { containerOverrides: [{ name: 'shard', environment: [{ name: 'SHARD_ID', value: shardId }] }] },
    };
    this.tasks.push(task);
    return task;
  }

  crash(shardId: string, stoppedReason = 'Essential container in task exited'): void {
    const t = this.live().find((x) => shardIdOf(x, 'shard') === shardId)!;
    Object.assign(t, { desiredStatus: 'STOPPED', lastStatus: 'STOPPED', stoppedReason, stopCode: 'EssentialContainerExited', stoppedAt: new Date() });
  }

  live(): Task[] {
    return this.tasks.filter((t) => t.desiredStatus === 'RUNNING');
  }

  runInputs(): RunTaskCommandInput[] {
    return this.mock.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
  }

  stopInputs(): Array<{ task?: string; reason?: string; cluster?: string }> {
    return this.mock.commandCalls(StopTaskCommand).map((c) => c.args[0].input);
  }
}

let ecs: FakeEcs;
const driver = (extra: Partial<EcsDriverOptions> = {}) => new EcsShardDriver({
  client: ecs.client, cluster: CLUSTER, taskDefinition: TASK_DEF, subnets: ['subnet-a', 'subnet-b'],
  securityGroups: ['sg-shard'], containerName: 'shard', routerUrl: ROUTER_URL, ...extra,
});
const shardsIn = (inputs: RunTaskCommandInput[]) =>
  inputs.map((i) => i.overrides!.containerOverrides![0]!.environment!.find((e) => e.name === 'SHARD_ID')!.value);

beforeEach(() => {
  ecs = new FakeEcs();
});

describe('EcsShardDriver', () => {
  it('runs each shard as a Fargate task with its id and the router url in the container overrides', async () => {
    await driver().scale(1);
    expect(ecs.runInputs()).toEqual([{
      cluster: CLUSTER,
      taskDefinition: TASK_DEF,
      count: 1,
      startedBy: 'open-claw-fleet',
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-shard'], assignPublicIp: 'DISABLED' },
      },
      overrides: {
        containerOverrides: [{
          name: 'shard',
          environment: [
            { name: 'SHARD_ID', value: 'shard-0' },
            { name: 'FLEET_SHARD_ID', value: 'shard-0' },
            { name: 'FLEET_ROUTER__URL', value: ROUTER_URL },
          ],
        }],
      },
      tags: [{ key: 'open-claw-fleet:shard', value: 'shard-0' }, { key: 'open-claw-fleet:started-by', value: 'open-claw-fleet' }],
      propagateTags: 'TASK_DEFINITION',
    }]);
  });

  it('uses a capacity provider strategy instead of a launch type when given one', async () => {
    const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 3 }, { capacityProvider: 'FARGATE', weight: 1, base: 1 }];
    await driver({ capacityProviderStrategy: strategy, startedBy: 'fleet-prod', assignPublicIp: true }).scale(1);
    const [input] = ecs.runInputs();
    expect(input!.capacityProviderStrategy).toEqual(strategy);
    expect(input).not.toHaveProperty('launchType');
    expect(input!.startedBy).toBe('fleet-prod');
    expect(input!.networkConfiguration!.awsvpcConfiguration!.assignPublicIp).toBe('ENABLED');
  });

  it('scales up 1→3 by running exactly shard-1 and shard-2', async () => {
    ecs.add('open-claw-fleet', 'shard-0', undefined, 'RUNNING');
    await driver().scale(3);
    expect(shardsIn(ecs.runInputs()).sort()).toEqual(['shard-1', 'shard-2']);
    expect(ecs.stopInputs()).toEqual([]);
    expect(await driver().running()).toEqual(['shard-0', 'shard-1', 'shard-2']);
  });

  it('scales down 3→1 by stopping the tasks of shard-1 and shard-2 only', async () => {
    const d = driver();
    await d.scale(3);
    const arnOf = (id: string) => ecs.live().find((t) => shardIdOf(t, 'shard') === id)!.taskArn;
    const [one, two] = [arnOf('shard-1'), arnOf('shard-2')];
    await d.scale(1);
    expect(ecs.stopInputs().sort((a, b) => a.task!.localeCompare(b.task!))).toEqual([
      { cluster: CLUSTER, task: one, reason: 'scaled down' },
      { cluster: CLUSTER, task: two, reason: 'scaled down' },
    ]);
    expect(await d.running()).toEqual(['shard-0']);
    expect(ecs.runInputs()).toHaveLength(3);
  });

  it('ignores tasks started by something else, of another family, or that name no shard', async () => {
    ecs.add('someone-else', 'shard-0', undefined, 'RUNNING');
    ecs.add('open-claw-fleet', 'not-a-shard', undefined, 'RUNNING');
    ecs.add('open-claw-fleet', 'shard-0', undefined, 'RUNNING', 'arn:aws:ecs:us-east-1:111122223333:task-definition/other:1');
    await driver().scale(1);
    expect(shardsIn(ecs.runInputs())).toEqual(['shard-0']);
    expect(ecs.stopInputs()).toEqual([]);
  });

  it('does not launch a shard twice when ListTasks has not caught up with its own RunTask yet', async () => {
    const d = driver();
    await d.scale(2);
    // ECS list APIs are eventually consistent: pretend the new tasks are not listed yet.
    ecs.mock.on(ListTasksCommand).resolves({ taskArns: [] });
    await d.scale(2);
    expect(ecs.runInputs()).toHaveLength(2);
  });

  it('stops a second task claiming the same shard id', async () => {
    const first = ecs.add('open-claw-fleet', 'shard-0', undefined, 'RUNNING');
    const second = ecs.add('open-claw-fleet', 'shard-0', undefined, 'RUNNING');
    first.startedAt = new Date(1_000);
    second.startedAt = new Date(2_000);
    await driver().scale(1);
    expect(ecs.stopInputs()).toEqual([{ cluster: CLUSTER, task: second.taskArn, reason: 'duplicate shard task' }]);
    expect(ecs.runInputs()).toEqual([]);
  });

  it('reconcile restarts a shard whose task stopped on its own, and only that one', async () => {
    const d = driver();
    await d.scale(3);
    ecs.crash('shard-1');
    expect(await d.running()).toEqual(['shard-0', 'shard-2']);
    expect(await d.reconcile()).toEqual(['shard-1']);
    expect(shardsIn(ecs.runInputs().slice(3))).toEqual(['shard-1']);
    expect(await d.running()).toEqual(['shard-0', 'shard-1', 'shard-2']);
    // Nothing left to do: a second pass launches nothing.
    expect(await d.reconcile()).toEqual([]);
    expect(ecs.runInputs()).toHaveLength(4);
  });

  it('reconcile after a router restart replaces a crashed shard but not one that was scaled down', async () => {
    await driver().scale(3);
    await driver().scale(2); // shard-2 stopped by us: 'scaled down'
    ecs.crash('shard-0', 'Task stopped: Your Spot Task was interrupted.');
    const fresh = driver(); // a new router process: no memory of earlier scale() calls
    expect(await fresh.reconcile()).toEqual(['shard-0']);
    expect(shardsIn(ecs.runInputs().slice(3))).toEqual(['shard-0']);
  });

  it('reconcile replaces a shard whose container is unhealthy (ECS does not, for tasks outside a service)', async () => {
    const d = driver();
    await d.scale(2);
    const sick = ecs.live().find((t) => shardIdOf(t, 'shard') === 'shard-0')!;
    Object.assign(sick, { lastStatus: 'RUNNING', healthStatus: 'UNHEALTHY' });
    // Stopped now; replaced on the next pass, once it no longer writes the shard's database and directories.
    expect(await d.reconcile()).toEqual([]);
    expect(ecs.stopInputs()).toEqual([{ cluster: CLUSTER, task: sick.taskArn, reason: 'failed its health check; replaced' }]);
    expect(await d.reconcile()).toEqual(['shard-0']);
    expect(shardsIn(ecs.runInputs().slice(2))).toEqual(['shard-0']);
  });

  it('reconcile waits for a stopping task to be STOPPED before starting its replacement (one writer per shard)', async () => {
    const d = driver();
    await d.scale(2);
    const old = ecs.live().find((t) => shardIdOf(t, 'shard') === 'shard-1')!;
    // ECS stopped it (Spot interruption), and it is still draining: SIGTERM sent, container not gone yet.
    Object.assign(old, { desiredStatus: 'STOPPED', lastStatus: 'DEPROVISIONING', stoppedReason: 'Spot interruption', stopCode: 'SpotInterruption' });
    expect(await d.reconcile()).toEqual([]);
    Object.assign(old, { lastStatus: 'STOPPED' });
    expect(await d.reconcile()).toEqual(['shard-1']);
  });

  it('falls back to on-demand Fargate when Spot has no capacity', async () => {
    let spotTries = 0;
    ecs.mock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
      if (input.capacityProviderStrategy?.some((c) => c.capacityProvider === 'FARGATE_SPOT')) {
        spotTries++;
        return { tasks: [], failures: [{ reason: 'Capacity is unavailable at this time. Please try again later or in a different availability zone' }] };
      }
      return { tasks: [ecs.add(input.startedBy!, 'shard-0', input, 'PENDING')] };
    });
    await driver({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 4 }, { capacityProvider: 'FARGATE', weight: 1 }] }).scale(1);
    expect(spotTries).toBe(1);
    expect(ecs.runInputs().at(-1)!.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE', weight: 1 }]);
  });

  it('hands each task its own shard token, never the fleet secret', async () => {
    await driver({ tokenFor: (id) => `token-of-${id}` }).scale(2);
    const envs = ecs.runInputs().map((i) => Object.fromEntries(i.overrides!.containerOverrides![0]!.environment!.map((e) => [e.name, e.value])));
    expect(envs.map((e) => e.FLEET_SHARD_TOKEN)).toEqual(['token-of-shard-0', 'token-of-shard-1']);
    for (const e of envs) expect(Object.keys(e).join()).not.toMatch(/SECRET|HS_TOKEN/);
  });

  it('reconcile does not bring back shards above the wanted count', async () => {
    const d = driver();
    await d.scale(2);
    ecs.crash('shard-1');
    await d.scale(1);
    expect(await d.reconcile()).toEqual([]);
  });

  it('lists by the task definition family, however the task definition is named', () => {
    expect(taskDefinitionFamily(TASK_DEF)).toBe('fleet-shard');
    expect(taskDefinitionFamily('fleet-shard:12')).toBe('fleet-shard');
    expect(taskDefinitionFamily('fleet-shard')).toBe('fleet-shard');
  });

  it('reports each shard’s newest task status, including why a stopped one stopped', async () => {
    const d = driver();
    await d.scale(2);
    ecs.crash('shard-1', 'OutOfMemoryError: Container killed due to memory usage');
    const health = await d.health();
    expect(health.map((h) => [h.shardId, h.lastStatus, h.stoppedReason])).toEqual([
      ['shard-0', 'PENDING', undefined],
      ['shard-1', 'STOPPED', 'OutOfMemoryError: Container killed due to memory usage'],
    ]);
    await d.reconcile();
    expect((await d.health()).map((h) => [h.shardId, h.lastStatus])).toEqual([['shard-0', 'PENDING'], ['shard-1', 'PENDING']]);
  });

  it('surfaces RunTask failures as one error naming each shard and reason', async () => {
    ecs.runFailures = [{ reason: 'RESOURCE:ENI', detail: 'no free IP addresses in subnet-a' }];
    await expect(driver().scale(2)).rejects.toThrow(
      /could not start 2 shard task\(s\): shard-0: RESOURCE:ENI — no free IP addresses in subnet-a.*; shard-1: RESOURCE:ENI/,
    );
  });

  it('surfaces RunTask API errors (e.g. access denied) the same way', async () => {
    ecs.mock.on(RunTaskCommand).rejects(new Error('User is not authorized to perform: ecs:RunTask'));
    await expect(driver().scale(1)).rejects.toThrow('shard-0: User is not authorized to perform: ecs:RunTask');
  });

  it('stopAll stops every live task of the fleet and reconcile then leaves them stopped', async () => {
    const d = driver();
    await d.scale(3);
    ecs.add('someone-else', 'shard-0', undefined, 'RUNNING');
    await d.stopAll();
    expect(ecs.stopInputs().map((s) => s.reason)).toEqual(['fleet stopped', 'fleet stopped', 'fleet stopped']);
    expect(await d.running()).toEqual([]);
    expect(await d.reconcile()).toEqual([]);
    expect(ecs.tasks.filter((t) => t.startedBy === 'someone-else' && t.desiredStatus === 'RUNNING')).toHaveLength(1);
  });

  it('stop(shard) stops a drained shard below the count, and neither scale nor reconcile brings it back', async () => {
    const d = driver();
    await d.scale(3);
    await d.stop('shard-1');
    expect(ecs.stopInputs().map((s) => s.reason)).toEqual(['drained by an operator']);
    await d.scale(3); // the router's periodic keep-alive
    expect(await d.reconcile()).toEqual([]);
    expect(await d.running()).toEqual(['shard-0', 'shard-2']);
    expect(ecs.runInputs()).toHaveLength(3);
    // A new count is a new decision: every shard below it runs again.
    await d.scale(4);
    expect(await d.running()).toEqual(['shard-0', 'shard-1', 'shard-2', 'shard-3']);
  });

  it('restart(shard) stops its task and reconcile launches the same shard id only once the old task is STOPPED', async () => {
    const d = driver();
    await d.scale(2);
    // StopTask leaves the task draining (SIGTERM sent) until ECS reports it STOPPED.
    ecs.mock.on(StopTaskCommand).callsFake((input: { task: string; reason: string }) => {
      const t = ecs.tasks.find((x) => x.taskArn === input.task)!;
      Object.assign(t, { desiredStatus: 'STOPPED', lastStatus: 'DEACTIVATING', stoppedReason: input.reason, stopCode: 'UserInitiated' });
      return { task: t };
    });
    await d.restart('shard-0');
    expect(ecs.stopInputs().map((s) => s.reason)).toEqual(['restarted by an operator']);
    expect(await d.reconcile()).toEqual([]);
    await d.scale(2);
    expect(ecs.runInputs()).toHaveLength(2);
    const old = ecs.tasks.find((t) => t.stoppedReason === 'restarted by an operator')!;
    Object.assign(old, { lastStatus: 'STOPPED', stoppedAt: new Date() });
    expect(await d.reconcile()).toEqual(['shard-0']);
    expect(await d.running()).toEqual(['shard-0', 'shard-1']);
    expect(await d.reconcile()).toEqual([]);
  });

  it('restart(shard) starts a shard that stop() had taken out', async () => {
    const d = driver();
    await d.scale(2);
    await d.stop('shard-0');
    await d.restart('shard-0');
    expect(await d.running()).toEqual(['shard-0', 'shard-1']);
    expect(shardsIn(ecs.runInputs())).toEqual(['shard-0', 'shard-1', 'shard-0']);
  });
});
