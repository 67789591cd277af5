import type { Person } from '../../org/types.ts';
import type { BenchFleet } from '../fleet.ts';
import { percentile, runPool, tidy } from '../stats.ts';
import type { BenchResult, BenchSizes } from '../types.ts';

const WARMUP_ROUND_TRIPS = 5;

/** `count` agents spread over the directory (so over shards too), the same ones in every run. */
export function spreadAgents(agents: readonly Person[], count: number): string[] {
  const step = Math.max(1, Math.floor(agents.length / count));
  return Array.from({ length: Math.min(count, agents.length) }, (_, i) => agents[(i * step + 3) % agents.length]!.matrixId);
}

/** Opens the DMs and has every agent answer once, so the measured messages go to warm agents in joined rooms. */
export async function warmAgents(fleet: BenchFleet, agents: readonly string[]): Promise<void> {
  await runPool(agents.length, 8, async (i) => {
    await fleet.ask(agents[i]!, 'Hello! Who do you report to?');
  });
}

/** First contact with agents nobody has written to yet, one at a time: DM created, agent provisioned, joins, answers. */
async function firstContacts(fleet: BenchFleet, agents: readonly string[]): Promise<number[]> {
  const samples: number[] = [];
  for (const agent of agents.filter((a) => !fleet.hasDm(a))) {
    samples.push(await fleet.ask(agent, 'Hello! Who do you report to?', { includeRoomCreation: true }));
  }
  return samples;
}

async function measureFleet(fleet: BenchFleet, agents: readonly string[], messages: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < messages; i++) samples.push(await fleet.ask(agents[i % agents.length]!, `Question ${i}: what are you working on this week?`));
  return samples;
}

/**
 * One message at a time, CEO → a warm agent → the agent's reply back in the CEO's client, against the homeserver's
 * own round trip (CEO → observer) measured the same way in the same run; then the same through three shards.
 */
export async function latencyScenario(fleet: BenchFleet, sizes: BenchSizes['latency'], progress: (line: string) => void): Promise<BenchResult[]> {
  const agents = spreadAgents(fleet.org.agents(), sizes.agents);
  const baseline: number[] = [];
  for (let i = 0; i < WARMUP_ROUND_TRIPS + sizes.baselineMessages; i++) {
    const ms = await fleet.roundTrip(`round trip ${i}`);
    if (i >= WARMUP_ROUND_TRIPS) baseline.push(ms);
  }
  const order = fleet.shardCount === 3 ? [3, 1] : [1, 3];
  const byShards = new Map<number, number[]>();
  let first: number[] = [];
  for (const shards of order) {
    await fleet.useShards(shards);
    progress(`latency: ${shards} shard(s), warming ${agents.length} agents`);
    if (first.length === 0) first = await firstContacts(fleet, agents);
    await warmAgents(fleet, agents);
    progress(`latency: ${shards} shard(s), ${shards === 1 ? sizes.messages : sizes.messages3Shards} messages`);
    byShards.set(shards, await measureFleet(fleet, agents, shards === 1 ? sizes.messages : sizes.messages3Shards));
  }
  const one = byShards.get(1)!;
  const hsP50 = percentile(baseline, 0.5);
  const fleetP50 = percentile(one, 0.5);
  const r = (metric: string, value: number, unit = 'ms', note?: string): BenchResult =>
    ({ scenario: 'latency', metric, value: tidy(value), unit, ...(note ? { note } : {}) });
  return [
    r('latency.fleet_p50_ms', fleetP50, 'ms', `${one.length} DMs to ${agents.length} warm agents, 1 shard`),
    r('latency.fleet_p95_ms', percentile(one, 0.95)),
    r('latency.fleet_p99_ms', percentile(one, 0.99)),
    r('latency.homeserver_p50_ms', hsP50, 'ms', `${baseline.length} messages client → client`),
    r('latency.homeserver_p95_ms', percentile(baseline, 0.95)),
    r('latency.ratio_p50', fleetP50 / hsP50, 'x'),
    r('latency.fleet_p50_ms_3_shards', percentile(byShards.get(3)!, 0.5), 'ms', `${byShards.get(3)!.length} DMs, 3 shards`),
    r('latency.fleet_p95_ms_3_shards', percentile(byShards.get(3)!, 0.95)),
    ...(first.length ? [r('latency.first_contact_p50_ms', percentile(first, 0.5), 'ms',
      `${first.length} agents never written to: DM created, agent provisioned, joined, answered`)] : []),
  ];
}
