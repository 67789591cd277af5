import type { BenchFleet } from '../fleet.ts';
import { runPool, tidy } from '../stats.ts';
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
  for (const shards of order) {
    await fleet.useShards(shards);
    progress(`throughput: ${shards} shard(s), warming ${lanes} agents`);
    await warmAgents(fleet, agents);
    progress(`throughput: ${shards} shard(s), ${sizes.messages} messages over ${lanes} agents`);
    let sent = 0;
    started = performance.now();
    await runPool(lanes, lanes, async (lane) => {
      while (sent < sizes.messages) {
        sent++;
        await fleet.ask(agents[lane]!, `Load ${sent}: status of your current project?`);
      }
    });
    rates.set(shards, sizes.messages / ((performance.now() - started) / 1000));
  }
  const one = rates.get(1)!;
  const note = `${lanes} agents, ${sizes.messages} messages`;
  return [
    { scenario: 'throughput', metric: 'throughput.fleet_msgs_per_s', value: tidy(one), unit: 'msgs/s', note: `${note}, 1 shard` },
    { scenario: 'throughput', metric: 'throughput.fleet_msgs_per_s_3_shards', value: tidy(rates.get(3)!), unit: 'msgs/s', note: `${note}, 3 shards` },
    { scenario: 'throughput', metric: 'throughput.homeserver_msgs_per_s', value: tidy(hsRate), unit: 'msgs/s', note: `${lanes} concurrent sends from one client` },
    { scenario: 'throughput', metric: 'throughput.ratio', value: tidy(one / hsRate), unit: 'x' },
  ];
}
