import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Autoscaler, autoscaleSchema, recommend, type AutoscaleConfig, type LoadSample } from '../../../src/router/autoscaler.ts';
import { routerLoad } from '../../../src/router/autoscale-load.ts';
import { ShardRegistry } from '../../../src/router/shard-registry.ts';
import { openRouterStore } from '../../../src/router/store.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const config = (over: Partial<AutoscaleConfig> = {}): AutoscaleConfig => autoscaleSchema.parse({
  enabled: true, min: 1, max: 8, intervalMs: 15 * SECOND, targetTurnsInFlightPerShard: 10, targetWarmAgentsPerShard: 100,
  maxQueueAgeMs: 30 * SECOND, upSustainMs: 30 * SECOND, downSustainMs: 5 * MINUTE, upCooldownMs: MINUTE, downCooldownMs: 5 * MINUTE, ...over,
});

type Load = (t: number) => Partial<LoadSample>;

/**
 * A simulated fleet: a clock advanced one interval per tick, a driver whose shards come up at once, and a load
 * that is a function of time. Returns the count after every tick and the driver's calls.
 */
async function simulate(c: AutoscaleConfig, load: Load, opts: { minutes: number; start?: number; failScale?: (t: number) => boolean }) {
  let t = 0;
  let running = opts.start ?? 1;
  const calls: number[] = [];
  const autoscaler = new Autoscaler({
    config: c, log: pino({ level: 'silent' }), now: () => t,
    load: async () => ({ liveShards: running, drainingShards: 0, warmAgents: 0, turnsInFlight: 0, queueAgeMs: 0, ...load(t) }),
    scale: async (n) => {
      calls.push(n);
      if (opts.failScale?.(t)) throw new Error('RunTask failed: no capacity');
      running = n;
    },
  });
  const counts: Array<{ t: number; count: number }> = [];
  for (; t <= opts.minutes * MINUTE; t += c.intervalMs) {
    await autoscaler.tick();
    counts.push({ t, count: running });
  }
  return { counts, calls, autoscaler, final: running, countAt: (at: number) => counts.findLast((x) => x.t <= at)!.count };
}

describe('autoscaler policy (simulated load)', () => {
  it('ramps up with load, fast, within the bounds', async () => {
    // Turns in flight grow by 10 a minute, to 120 after 12 minutes: the need grows one shard a minute, to the max of 8.
    const { counts, final } = await simulate(config(), (t) => ({ turnsInFlight: Math.min(120, Math.floor(t / MINUTE) * 10) }), { minutes: 20 });
    expect(final).toBe(8);
    expect(Math.max(...counts.map((c) => c.count))).toBe(8);
    // Never behind by more than the sustain window plus the cooldown of the step before.
    for (const { t, count } of counts) {
      const need = Math.min(8, Math.max(1, Math.ceil(Math.min(120, Math.floor(t / MINUTE) * 10) / 10)));
      if (t > 2 * MINUTE) expect(count).toBeGreaterThanOrEqual(Math.min(need, Math.max(1, Math.ceil(Math.min(120, Math.floor((t - 2 * MINUTE) / MINUTE) * 10) / 10))));
    }
  });

  it('jumps straight to what a sustained step in load needs', async () => {
    const { countAt, calls } = await simulate(config(), (t) => ({ turnsInFlight: t >= MINUTE ? 55 : 0 }), { minutes: 5 });
    expect(countAt(MINUTE)).toBe(1);
    // Pressure seen at 60 s, sustained 30 s: 6 shards at 90 s, in one call.
    expect(countAt(90 * SECOND)).toBe(6);
    expect(calls).toEqual([6]);
  });

  it('holds a plateau with no change at all', async () => {
    const { calls, final } = await simulate(config(), () => ({ turnsInFlight: 35, warmAgents: 250 }), { minutes: 60, start: 4 });
    expect(final).toBe(4);
    expect(calls).toEqual([]);
  });

  it('ignores a spike shorter than the sustain window', async () => {
    const spike = (t: number) => t >= 5 * MINUTE && t < 5 * MINUTE + 20 * SECOND;
    const { calls } = await simulate(config(), (t) => ({ turnsInFlight: spike(t) ? 200 : 5 }), { minutes: 15 });
    expect(calls).toEqual([]);
  });

  it('drains slowly: one shard at a time, each after the cooldown, down to min', async () => {
    const c = config({ min: 2 });
    const { counts, calls } = await simulate(c, (t) => ({ turnsInFlight: t < 10 * MINUTE ? 75 : 0 }), { minutes: 60, start: 8 });
    expect(calls).toEqual([7, 6, 5, 4, 3, 2]);
    // Nothing moves during the busy first 10 minutes, and the first step waits for 5 minutes of slack.
    expect(counts.filter((x) => x.t < 15 * MINUTE).every((x) => x.count === 8)).toBe(true);
    const changes = counts.filter((x, i) => i > 0 && x.count !== counts[i - 1]!.count).map((x) => x.t);
    for (let i = 1; i < changes.length; i++) expect(changes[i]! - changes[i - 1]!).toBeGreaterThanOrEqual(c.downCooldownMs);
    expect(counts.at(-1)!.count).toBe(2);
  });

  it('gives a steady count for flapping input', async () => {
    // Every other sample needs 1 shard or 5: the window's min (up) is 1 and its max (down) is 5, so nothing moves.
    const { calls } = await simulate(config(), (t) => ({ turnsInFlight: (t / 15_000) % 2 === 0 ? 50 : 0 }), { minutes: 60, start: 3 });
    expect(calls).toEqual([]);
    // Warm agents around a boundary (199/201 with 100 per shard) flap the same way.
    const warm = await simulate(config(), (t) => ({ warmAgents: (t / 15_000) % 2 === 0 ? 201 : 199 }), { minutes: 60, start: 3 });
    expect(warm.calls).toEqual([]);
  });

  it('never leaves [min, max], and a fleet started below min is brought up to it', async () => {
    const { counts } = await simulate(config({ min: 2, max: 4 }), (t) => ({ turnsInFlight: t < 20 * MINUTE ? 10_000 : 0 }), { minutes: 60, start: 1 });
    expect(counts.filter((x) => x.t > MINUTE).every((x) => x.count >= 2 && x.count <= 4)).toBe(true);
    expect(Math.max(...counts.map((x) => x.count))).toBe(4);
    expect(counts.at(-1)!.count).toBe(2);
  });

  it('survives driver errors: keeps the count, reports the error, retries after the cooldown (not every tick)', async () => {
    const c = config();
    const failing = (t: number) => t < 3 * MINUTE;
    const { calls, final, autoscaler } = await simulate(c, () => ({ turnsInFlight: 30 }), { minutes: 6, failScale: failing });
    expect(final).toBe(3);
    // Attempted at 30 s, 90 s, 150 s (each failing, one cooldown apart), succeeded at 210 s.
    expect(calls).toEqual([3, 3, 3, 3]);
    const status = autoscaler.status();
    expect(status.current).toBe(3);
    expect(status.recent.filter((d) => d.error).length).toBe(3);
    expect(status.recent.at(-1)).toMatchObject({ from: 1, to: 3 });
    expect(status.recent.at(-1)!.error).toBeUndefined();
  });

  it('does not scale down on a sample with a shard status missing, nor while a shard drains', async () => {
    const unknown = await simulate(config(), () => ({ turnsInFlight: 0, warmAgents: undefined }), { minutes: 30, start: 4 });
    expect(unknown.calls).toEqual([]);
    const draining = await simulate(config(), () => ({ turnsInFlight: 0, drainingShards: 1 }), { minutes: 30, start: 4 });
    expect(draining.calls).toEqual([]);
  });

  it('asks for one shard more when handed work waits too long, whatever the other signals say', async () => {
    const { calls } = await simulate(config({ max: 3 }), () => ({ turnsInFlight: 1, queueAgeMs: 45 * SECOND }), { minutes: 5 });
    expect(calls).toEqual([2, 3]);
  });

  it('adds no shard for turns that wait on a throttled model provider', async () => {
    const { calls } = await simulate(config(), () => ({ turnsInFlight: 80, queueAgeMs: 60_000, providerThrottled: true }), { minutes: 10, start: 2 });
    expect(calls).toEqual([]);
    // Slack still counts: turns that fit fewer shards even while waiting on the provider fit them without the wait.
    expect(recommend(config(), { liveShards: 4, drainingShards: 0, warmAgents: 0, turnsInFlight: 15, queueAgeMs: 0, providerThrottled: true }, 4).count).toBe(2);
  });

  it('lets an operator\'s scale hold for the cooldowns', async () => {
    let t = 0;
    let running = 2;
    const calls: number[] = [];
    const autoscaler = new Autoscaler({
      config: config(), log: pino({ level: 'silent' }), now: () => t,
      load: async () => ({ liveShards: running, drainingShards: 0, warmAgents: 0, turnsInFlight: 0, queueAgeMs: 0 }),
      scale: async (n) => { calls.push(n); running = n; },
    });
    await autoscaler.tick();
    t = 10 * MINUTE;
    autoscaler.noteManualScale(6);
    running = 6;
    // Slack from 10 min on: the down window and cooldown both start at the operator's change.
    for (; t < 15 * MINUTE; t += 15 * SECOND) await autoscaler.tick();
    expect(calls).toEqual([]);
    await autoscaler.tick();
    expect(calls).toEqual([5]);
  });

  it('waits for a first heartbeat before it knows the count', async () => {
    const autoscaler = new Autoscaler({
      config: config({ upSustainMs: 0, upCooldownMs: 0 }), log: pino({ level: 'silent' }), now: () => 0,
      load: async () => ({ liveShards: 0, drainingShards: 0, warmAgents: 0, turnsInFlight: 100, queueAgeMs: 0 }),
      scale: async () => { throw new Error('must not be called'); },
    });
    expect(await autoscaler.tick()).toBeUndefined();
    expect(autoscaler.status().current).toBeUndefined();
  });

  it('explains its recommendation', () => {
    const r = recommend(config(), { liveShards: 2, drainingShards: 0, warmAgents: 350, turnsInFlight: 12, queueAgeMs: 40_000 }, 2);
    expect(r.count).toBe(4);
    expect(r.why).toContain('350 warm → 4');
    expect(r.why).toContain('12 turns in flight → 2');
    expect(r.why).toMatch(/waiting 40 s/);
  });

  it('refuses min above max in config', () => {
    expect(autoscaleSchema.safeParse({ min: 5, max: 2 }).success).toBe(false);
    expect(autoscaleSchema.parse({})).toMatchObject({ enabled: false, min: 1, max: 8 });
  });
});

describe('router load for the autoscaler', () => {
  const registries: ShardRegistry[] = [];
  afterEach(() => { for (const r of registries.splice(0)) r.close(); });

  it('counts live claims, warm agents of every shard, and work handed over but not started', async () => {
    const db = openRouterStore(':memory:');
    const registry = new ShardRegistry(60_000);
    registries.push(registry);
    for (const id of ['shard-0', 'shard-1']) registry.heartbeat({ shardId: id, url: `http://127.0.0.1/${id}`, startedAt: 1 } as never);
    const now = 1_000_000;
    const claim = db.prepare('INSERT INTO claims (agent_id, delivery_id, shard_id, started_at, renewed_at) VALUES (?, ?, ?, 1, ?)');
    claim.run('@a:x', 'd1', 'shard-0', now - 1000);
    claim.run('@b:x', 'd2', 'shard-1', now - 120_000); // lapsed
    const out = db.prepare('INSERT INTO outbox (delivery_id, seq, agent_id, payload, holder, handed_at, created_at) VALUES (?, 1, ?, ?, ?, ?, ?)');
    out.run('d1', '@a:x', '{}', 'shard-0', now - 50_000, now - 50_000); // running
    out.run('d3', '@a:x', '{}', 'shard-0', now - 40_000, now - 40_000); // behind its agent's running turn: not counted
    out.run('d4', '@c:x', '{}', 'shard-1', now - 20_000, now - 20_000); // waiting, its agent idle
    out.run('d5', '@d:x', '{}', 'shard-9', now - 90_000, now - 90_000); // held by a shard that is gone
    out.run('d6', '@e:x', '{}', null, null, now - 99_000); // paused or not handed yet
    const warm = (n: number) => ({ agents: Array.from({ length: n }, (_, i) => ({ agentId: `@w${i}:x`, warm: true })) });
    const statuses: Record<string, Record<string, unknown>> = { 'shard-0': warm(3), 'shard-1': warm(4) };
    const load = routerLoad({ db, registry, claimTtlMs: 60_000, draining: () => new Set(['shard-1', 'shard-7']), now: () => now,
      status: async (id) => statuses[id] as never });
    expect(await load()).toEqual({ liveShards: 2, drainingShards: 1, warmAgents: 7, turnsInFlight: 1, queueAgeMs: 20_000 });
    statuses['shard-1']!.providers = [{ id: 'bedrock:us-east-1', pausedUntil: now + 5000 }];
    expect((await load()).providerThrottled).toBe(true);
    delete statuses['shard-1'];
    expect((await load()).warmAgents).toBeUndefined();
  });
});
