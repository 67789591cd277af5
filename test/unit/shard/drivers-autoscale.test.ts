import { DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand, type RunTaskCommandInput, type Task } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Autoscaler, autoscaleSchema } from '../../../src/router/autoscaler.ts';
import { EcsShardDriver, shardIdOf } from '../../../src/shard/drivers/ecs.ts';

/** The autoscaler driving the real ECS driver against an ECS that runs what it is asked to (tasks start at once). */
function fleetOnEcs() {
  const client = new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const mock = mockClient(client);
  const tasks: Task[] = [];
  let failRuns = 0;
  mock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
    if (failRuns > 0) {
      failRuns--;
      return { tasks: [], failures: [{ reason: 'RESOURCE:FARGATE', detail: 'no capacity' }] };
    }
    const task: Task = { taskArn: `arn:task/${tasks.length + 1}`, taskDefinitionArn: 'fleet-shard:1', startedBy: input.startedBy!, lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING', overrides: input.overrides!, createdAt: new Date() };
    tasks.push(task);
    return { tasks: [task] };
  });
  mock.on(StopTaskCommand).callsFake((input: { task: string; reason: string }) => {
    Object.assign(tasks.find((t) => t.taskArn === input.task)!, { desiredStatus: 'STOPPED', lastStatus: 'STOPPED', stoppedReason: input.reason });
    return {};
  });
  mock.on(ListTasksCommand).callsFake((input: { desiredStatus?: string }) =>
    ({ taskArns: tasks.filter((t) => t.desiredStatus === (input.desiredStatus ?? 'RUNNING')).map((t) => t.taskArn!) }));
  mock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({ tasks: tasks.filter((t) => input.tasks.includes(t.taskArn!)).map((t) => structuredClone(t)) }));
  const driver = new EcsShardDriver({ client, cluster: 'fleet', taskDefinition: 'fleet-shard:1', subnets: ['s'], securityGroups: ['g'], containerName: 'shard', routerUrl: 'http://router:9000' });
  const running = () => tasks.filter((t) => t.desiredStatus === 'RUNNING').map((t) => shardIdOf(t, 'shard')!).sort();
  return { driver, running, failNextRuns: (n: number) => { failRuns = n; } };
}

describe('autoscaler through the ECS shard driver', () => {
  it('adds and removes shard tasks by id as load comes and goes, and rides out a failed launch', async () => {
    const ecs = fleetOnEcs();
    await ecs.driver.scale(1);
    let t = 0;
    let turns = 0;
    const autoscaler = new Autoscaler({
      config: autoscaleSchema.parse({ enabled: true, min: 1, max: 4, targetTurnsInFlightPerShard: 10, upSustainMs: 30_000, downSustainMs: 300_000,
        upCooldownMs: 60_000, downCooldownMs: 120_000 }),
      log: pino({ level: 'silent' }), now: () => t, scale: (n) => ecs.driver.scale(n),
      load: async () => ({ liveShards: ecs.running().length, drainingShards: 0, warmAgents: 0, turnsInFlight: turns, queueAgeMs: 0 }),
    });
    const run = async (untilMs: number) => { for (; t < untilMs; t += 15_000) await autoscaler.tick(); };

    turns = 30;
    ecs.failNextRuns(1); // the first launch of the scale-up fails: RunTask has no capacity
    await run(60_000);
    expect(autoscaler.status().last?.error).toMatch(/capacity/);
    await run(10 * 60_000);
    expect(ecs.running()).toEqual(['shard-0', 'shard-1', 'shard-2']);

    turns = 0;
    await run(30 * 60_000);
    expect(ecs.running()).toEqual(['shard-0']);
    const moves = autoscaler.status().recent.filter((d) => !d.error).map((d) => `${d.from}→${d.to}`);
    expect(moves).toEqual(['1→3', '3→2', '2→1']);
  });
});
