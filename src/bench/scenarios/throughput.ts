import type { BenchFleet } from '../fleet.ts';
import { trafficBetween, type TrafficSnapshot } from '../request-counter.ts';
import { runPool, sleep, tidy } from '../stats.ts';
import type { BenchResult, BenchSizes } from '../types.ts';
import { spreadAgents, warmAgents } from './latency.ts';

/**
 * Closed-loop load: one lane per agent, each sending its agent a DM as soon as the previous one is answered, until
 * `messages` answers are in. Compared with the homeserver's own rate: as many lanes sending from the CEO's client
 * into one room, each waiting only for the homeserver to accept its message (`throughput.ratio`, as it always was);
 * and, since Synapse persists one room's events in batches, also into one room per lane, the shape of the fleet's
 * DMs (`throughput.ratio_room_per_lane`).
 */
export async function throughputScenario(fleet: BenchFleet, sizes: BenchSizes['throughput'], progress: (line: string) => void): Promise<BenchResult[]> {
  const agents = spreadAgents(fleet.org.agents(), sizes.agents);
  const lanes = agents.length;

  const room = await fleet.baselineRoom();
  // A fresh homeserver is slower for its first few hundred events (caches, SQLite
  // pages); the baseline should not pay for that alone.
  await runPool(Math.min(200, Math.max(lanes * 4, sizes.messages)), lanes, (i) => fleet.sender.say(room, `warm-up ${i}`).then(() => undefined));
  progress(`throughput: homeserver, ${sizes.messages} sends over ${lanes} lanes`);
  const oneRoom = await homeserverAlone(fleet, Array.from({ length: lanes }, () => room), sizes.messages);
  const ownRooms = await homeserverAlone(fleet, await Promise.all(Array.from({ length: lanes }, async () => {
    const r = await fleet.sender.createRoom({ invite: [fleet.observer.userId], name: 'bench baseline lane' });
    await fleet.observer.join(r);
    return r;
  })), sizes.messages);
  const hsRate = oneRoom.rate;
  const hsCpuPerAnswer = new Map<number, number | undefined>();

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
    const cpuBefore = fleet.hs.cpuMs();
    const started = performance.now();
    await runPool(lanes, lanes, async (lane) => {
      while (sent < sizes.messages) {
        sent++;
        await fleet.ask(agents[lane]!, `Load ${sent}: status of your current project?`);
      }
    });
    rates.set(shards, sizes.messages / ((performance.now() - started) / 1000));
    // The pushes of the last replies' own events arrive just after the replies do.
    await sleep(500);
    hsCpuPerAnswer.set(shards, cpuPer(cpuBefore, fleet.hs.cpuMs(), sizes.messages));
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
    { scenario: 'throughput', metric: 'throughput.homeserver_msgs_per_s_room_per_lane', value: tidy(ownRooms.rate), unit: 'msgs/s', note: `${lanes} concurrent sends, each lane its own room` },
    { scenario: 'throughput', metric: 'throughput.ratio_room_per_lane', value: tidy(one / ownRooms.rate), unit: 'x' },
    ...(oneRoom.cpuMsPerMessage !== undefined ? [{ scenario: 'throughput' as const, metric: 'throughput.hs_cpu_ms_per_message', value: tidy(oneRoom.cpuMsPerMessage), unit: 'ms',
      note: `Synapse CPU per message, homeserver alone, one room (${tidy(ownRooms.cpuMsPerMessage ?? Number.NaN)} ms with a room per lane)` }] : []),
    ...(hsCpuPerAnswer.get(1) !== undefined ? [{ scenario: 'throughput' as const, metric: 'throughput.hs_cpu_ms_per_answer', value: tidy(hsCpuPerAnswer.get(1)!), unit: 'ms',
      note: 'Synapse CPU per answered message, 1 shard (the question and the reply are two events)' }] : []),
  ];
}

/** The homeserver carrying `n` messages from the CEO over one lane per room given: rate and Synapse CPU per message. */
async function homeserverAlone(fleet: BenchFleet, rooms: string[], n: number): Promise<{ rate: number; cpuMsPerMessage: number | undefined }> {
  const cpuBefore = fleet.hs.cpuMs();
  const started = performance.now();
  let next = 0;
  await runPool(rooms.length, rooms.length, async (lane) => {
    while (next < n) await fleet.sender.say(rooms[lane]!, `load ${next++}`);
  });
  return { rate: n / ((performance.now() - started) / 1000), cpuMsPerMessage: cpuPer(cpuBefore, fleet.hs.cpuMs(), n) };
}

function cpuPer(before: number | undefined, after: number | undefined, n: number): number | undefined {
  return before === undefined || after === undefined ? undefined : (after - before) / n;
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
