import { answer, refuse } from '../answer.ts';
import type { CommandSpec } from '../context.ts';
import { ago, count } from '../format.ts';
import { describeAutoscaler } from '../../router/autoscaler.ts';

/** status, shards, scale, drain, undrain, restart: the fleet as a whole. */
export const fleetCommands: CommandSpec[] = [
  {
    name: 'status', category: 'Fleet', args: '', changes: false,
    summary: 'shards, agents live/warm/hibernated/paused, inbox, throughput and errors of the last minute',
    async run(ctx) {
      const since = Date.now() - 60_000;
      const [shards, agents, turns] = await Promise.all([ctx.view.shards(), ctx.view.agents(), ctx.view.activity({ sinceAt: since, limit: 1000 })]);
      const inbox = ctx.view.inbox();
      const live = agents.filter((a) => a.live);
      const warm = live.filter((a) => a.warm).length;
      const paused = ctx.controls.paused().length;
      const draining = shards.filter((s) => ctx.controls.draining().has(s.shardId)).length;
      const failed = turns.filter((t) => t.outcome === 'failed').length;
      return answer([[
        `Shards: ${shards.length} live${draining ? `, ${draining} draining` : ''}${shards.some((s) => !s.reachable) ? `, ${shards.filter((s) => !s.reachable).length} not answering` : ''}; ${shards.reduce((n, s) => n + s.unfinished, 0)} deliveries in progress.`,
        `Agents: ${live.length} live (${warm} warm, ${live.length - warm} hibernated), ${paused} paused, ${agents.length - live.length} not staffed.`,
        `Inbox: ${inbox.pending} pending, ${inbox.done} done, ${inbox.failed} parked.`,
        `Last minute: ${turns.length} turn(s), ${failed} failed.`,
        ...(ctx.autoscale ? [describeAutoscaler(ctx.autoscale(), (at) => ago(at))] : []),
      ].join('\n')]);
    },
  },
  {
    name: 'shards', category: 'Fleet', args: '', changes: false,
    summary: 'every live shard: state, agents placed, unfinished work, restarts, last heartbeat',
    async run(ctx, { page }) {
      const shards = await ctx.view.shards();
      if (shards.length === 0) return answer(['No live shard.']);
      return answer([`${shards.length} live shard(s):${ctx.autoscale ? ` ${describeAutoscaler(ctx.autoscale(), (at) => ago(at))}` : ''}`, {
        headers: ['shard', 'state', 'agents', 'unfinished', 'restarts', 'heartbeat', 'url'], page,
        rows: shards.map((s) => [s.shardId, ctx.controls.draining().has(s.shardId) ? 'draining' : s.reachable ? 'live' : 'not answering',
          String(s.placedAgents), String(s.unfinished), String(s.restarts), ago(s.lastSeenAt), s.url]),
      }]);
    },
  },
  {
    name: 'scale', category: 'Fleet', args: '<n>', changes: true,
    summary: 'run n shards (live; agents move by rendezvous placement)',
    async run(ctx, { args }) {
      const n = count(args[0], 1000);
      if (n === undefined) return refuse('scale needs a whole number of shards between 1 and 1000.');
      if (!ctx.scale) return refuse('This router does not manage its shards (shards.driver); scale them where they run.');
      await ctx.scale(n);
      return answer([`Scaling to ${n} shard(s); new shards join placement when they first heartbeat.`]);
    },
  },
  {
    name: 'drain', category: 'Fleet', args: '<shard>', changes: true,
    summary: 'take a shard out of placement (its agents move; running turns finish first), then stop it',
    async run(ctx, { args, caller }) {
      const shardId = args[0];
      const shards = await ctx.view.shards();
      const shard = shards.find((s) => s.shardId === shardId);
      if (!shardId || !shard) return refuse(`drain needs a live shard: ${shards.map((s) => s.shardId).join(', ') || 'none is live'}.`);
      if (shards.every((s) => s.shardId === shardId || ctx.controls.draining().has(s.shardId))) {
        return refuse(`${shardId} is the last shard taking agents: its agents would have nowhere to go. Scale up first.`);
      }
      if (!ctx.controls.drain(shardId, caller.id)) return answer([`${shardId} is draining already.`]);
      const stop = ctx.canStop?.(shardId)
        ? 'It is stopped once its work is done.'
        : 'The shard driver cannot stop it: stop it where it runs once "shards" shows 0 unfinished, or "undrain" it.';
      return answer([`Draining ${shardId}: its ${shard.placedAgents} agent(s) move to the other shards; turns it is running finish there first, nothing is lost. ${stop}`]);
    },
  },
  {
    name: 'undrain', category: 'Fleet', args: '<shard>', changes: true,
    summary: 'put a draining shard back into placement',
    run(ctx, { args }) {
      const shardId = args[0] ?? '';
      return ctx.controls.undrain(shardId) ? answer([`${shardId} takes agents again.`]) : refuse(`${shardId || 'That'} is not draining.`);
    },
  },
  {
    name: 'restart', category: 'Fleet', args: '<shard>', changes: true,
    summary: 'stop a shard and start it again under the same id and store (running turns finish first)',
    async run(ctx, { args }) {
      const shardId = args[0] ?? '';
      if (!/^shard-\d+$/.test(shardId)) return refuse('restart needs a shard id, e.g. "restart shard-0" ("shards" lists them).');
      if (!ctx.restart) return refuse('This router does not manage its shards (shards.driver); restart it where it runs.');
      await ctx.restart(shardId);
      return answer([`Restarting ${shardId}: its running turns finish first; what it had not started is handed to it again once it is back, nothing is lost. It keeps its id and store.`]);
    },
  },
];
