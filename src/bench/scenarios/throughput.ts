import type { BenchFleet } from '../fleet.ts';
import { trafficBetween, type TrafficSnapshot } from '../request-counter.ts';
import { runPool, sleep, tidy } from '../stats.ts';
import type { BenchResult, BenchSizes } from '../types.ts';
import { spreadAgents, warmAgents } from './latency.ts';

/**
 * Closed-loop load: one lane per agent, each sending its agent a DM as soon as the previous one is answered, until
 * `messages` answers are in. Compared with the homeserver's own rate: as many lanes sending from the CEO's client
 * into one room, each waiting only for the homeserver to accept its message.
 */
export async function throughputScenario(fleet: BenchFleet, sizes: BenchSizes['throughput'], progress: (line: string) => void): Promise<BenchResult[]> {
  const agents = spreadAgents(fleet.org.agents(), sizes.agents);
  const lanes = agents.length;

  const room = await fleet.baselineRoom();
  // A fresh homeserver is slower for its first few hundred events (caches, SQLite
  // pages); the baseline should not pay for that alone.
  await runPool(Math.min(200, Math.max(lanes * 4, sizes.messages)), lanes, (i) => fleet.sender.say(room, `warm-up ${i}`).then(() => undefined));
  progress(`throughput: homeserver, ${sizes.messages} sends over ${lanes} lanes`);
  let started = performance.now();
  await runPool(sizes.messages, lanes, (i) => fleet.sender.say(room, `load ${i}`).then(() => undefined));
  const hsRate = sizes.messages / ((performance.now() - started) / 1000);

  const order = fleet.shardCount === 3 ? [3, 1] : [1, 3];
  const rates = new Map<number, number>();
  const traffic = new Map<number, TrafficSnapshot>();
  for (const shards of order) {
    await fleet.useShards(shards);
    progress(`throughput: ${shards} shard(s), warming ${lanes} agents`);
    await warmAgents(fleet, agents);
    progress(`throughput: ${shards} shard(s), ${sizes.messages} messages over ${lanes} agents`);
    let sent = 0;
    const before = fleet.hs.traffic?.();
    started = performance.now();
    await runPool(lanes, lanes, async (lane) => {
      while (sent < sizes.messages) {
        sent++;
        await fleet.ask(agents[lane]!, `Load ${sent}: status of your current project?`);
      }
    });
    rates.set(shards, sizes.messages / ((performance.now() - started) / 1000));
    // The pushes of the last replies' own events arrive just after the replies do.
    await sleep(500);
    if (before) {
      const t = trafficBetween(before, fleet.hs.traffic!());
      traffic.set(shards, t);
      progress(`throughput: ${shards} shard(s), homeserver requests by template: ${Object.entries(t.byTemplate).sort(([, a], [, b]) => b - a)
        .map(([k, n]) => `${k} ×${n}`).join('; ')}`);
    }
  }
  const one = rates.get(1)!;
  const note = `${lanes} agents, ${sizes.messages} messages`;
  return [
    { scenario: 'throughput', metric: 'throughput.fleet_msgs_per_s', value: tidy(one), unit: 'msgs/s', note: `${note}, 1 shard` },
    { scenario: 'throughput', metric: 'throughput.fleet_msgs_per_s_3_shards', value: tidy(rates.get(3)!), unit: 'msgs/s', note: `${note}, 3 shards` },
    { scenario: 'throughput', metric: 'throughput.homeserver_msgs_per_s', value: tidy(hsRate), unit: 'msgs/s', note: `${lanes} concurrent sends from one client` },
    { scenario: 'throughput', metric: 'throughput.ratio', value: tidy(one / hsRate), unit: 'x' },
    ...requestRows(traffic.get(1), sizes.messages, `${note}, 1 shard`),
  ];
}

/** Homeserver requests per answered message, in all and by kind (push, send, members, typing…). */
function requestRows(t: TrafficSnapshot | undefined, answers: number, note: string): BenchResult[] {
  if (!t) return [];
  const per = (n: number) => tidy(n / answers);
  const kinds = Object.entries(t.byKind).sort(([, a], [, b]) => b - a);
  return [
    { scenario: 'throughput', metric: 'throughput.hs_requests_per_answer', value: per(t.total), unit: 'requests',
      note: `${note}; ${kinds.map(([k, n]) => `${k} ${per(n)}`).join(', ')}; ${t.connections} new connections` },
    ...kinds.map(([kind, n]): BenchResult => ({ scenario: 'throughput', metric: `throughput.hs_requests_per_answer.${kind.replace(/\s+/g, '_').toLowerCase()}`, value: per(n), unit: 'requests' })),
  ];
}
