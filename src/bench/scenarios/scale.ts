import { join } from 'node:path';
import type { FleetConfig } from '../../config/schema.ts';
import { OrgDirectory } from '../../org/directory.ts';
import { generateOrg } from '../../org/generator.ts';
import { lcg } from '../../org/rng.ts';
import { movedShare } from '../../protocol/placement.ts';
import { BenchFleet } from '../fleet.ts';
import { percentile, runPool, tidy } from '../stats.ts';
import type { BenchResult, ScaleSizes } from '../types.ts';

export interface ScaleScenarioOptions {
  config: FleetConfig;
  root: string;
  cacheDir: string;
  /** Base Synapse instance name; this scenario runs its own fresh instance beside it. */
  instance: string;
  workDir: string;
  sizes: ScaleSizes;
  progress: (line: string) => void;
  /** Told of the fleet while it runs (and of undefined once it is closed), so the caller can stop it on a signal. */
  track?: (fleet: BenchFleet | undefined) => void;
}

/**
 * A dozen processes plus Synapse on two cores: a heartbeat can wait seconds for a CPU, and a shard dropped from
 * placement for that would move agents for nothing, so the timings are looser than the other scenarios'.
 */
const SHARD_TIMINGS = { heartbeatMs: 1000, deadAfterMs: 15_000 };
const SHARDS_START_TIMEOUT_MS = 300_000;

const shardIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `shard-${i}`);

/** `count` distinct agents drawn with a fixed seed: the same "random" ones in every run. */
function randomAgents(org: OrgDirectory, count: number): string[] {
  const agents = org.agents();
  const rng = lcg(15);
  const picked = new Set<string>();
  while (picked.size < Math.min(count, agents.length)) picked.add(agents[Math.floor(rng() * agents.length) % agents.length]!.matrixId);
  return [...picked];
}

/**
 * A company of `employees` (org.size), every agent live, over `shards` shard processes on the bench's own Synapse,
 * with nothing provisioned: each agent becomes a homeserver user on first contact (the lazy path), and the namespace
 * is what `auto` picks for that size (all-but-humans at 10,000). Measures the processes' RSS, the first reply of
 * never-contacted agents (DM created, user made, joined, answered), and a live rescale to `shardsAfter` while the CEO
 * keeps writing: every message must start exactly one turn (model calls per (agent, message)).
 */
export async function scaleScenario(o: ScaleScenarioOptions): Promise<BenchResult[]> {
  const { employees, shards, shardsAfter } = o.sizes;
  const config: FleetConfig = { ...o.config, org: { ...o.config.org, size: employees, file: undefined } };
  const org = new OrgDirectory(generateOrg({ domain: config.domain, ceo: config.ceo, seed: config.org.seed, size: employees }), config.domain);
  const fleet = await BenchFleet.start({
    config, root: o.root, cacheDir: o.cacheDir, org, synapseInstance: `${o.instance}-scale`, workDir: join(o.workDir, 'scale'), progress: o.progress,
    shardTimings: SHARD_TIMINGS,
  });
  o.track?.(fleet);
  try {
    o.progress(`scale: ${employees} employees, starting ${shards} shards`);
    await fleet.useShards(shards, SHARDS_START_TIMEOUT_MS);
    const sample = randomAgents(org, o.sizes.firstContacts);
    o.progress(`scale: first reply of ${sample.length} never-contacted agents`);
    const first: number[] = [];
    for (const agent of sample) first.push(await fleet.ask(agent, 'Hello! Who do you report to?', { includeRoomCreation: true }));

    const rss = fleet.rssMiB();
    const shardRss = [...rss].filter(([name]) => name.startsWith('shard-')).map(([, mib]) => mib);
    const totalRss = [...rss.values()].reduce((a, b) => a + b, 0);

    o.progress(`scale: ${shards} → ${shardsAfter} shards while the CEO writes to ${o.sizes.writers} agents`);
    const rescale = await rescaleWhileWriting(fleet, sample.slice(0, o.sizes.writers), shardsAfter);
    const ideal = (shardsAfter - shards) / shardsAfter;
    const moved = movedShare(org.agents().map((p) => p.matrixId), shardIds(shards), shardIds(shardsAfter));
    const r = (metric: string, value: number, unit: string, note?: string): BenchResult =>
      ({ scenario: 'scale', metric, value: tidy(value), unit, ...(note ? { note } : {}) });
    return [
      r(`scale.total_rss_mib_${employees}`, totalRss, 'MiB', `router + ${shards} shards, ${employees} employees all live, ${sample.length} warm; goal ≤ 4096`),
      r('scale.shard_rss_mib_max', Math.max(...shardRss), 'MiB', `min ${tidy(Math.min(...shardRss))}`),
      r('scale.first_reply_p50_ms', percentile(first, 0.5), 'ms', `${first.length} never-contacted agents through the homeserver: DM created, user made, joined, answered; goal < 1000`),
      r('scale.first_reply_p99_ms', percentile(first, 0.99), 'ms', 'goal < 3000'),
      r(`scale.moved_pct_${shards}_${shardsAfter}`, moved * 100, '%', `ideal ${tidy(ideal * 100)}% (${shardsAfter - shards}/${shardsAfter}: the new shards' share); goal within 3 points`),
      r('scale.rescale_answered_once_pct', (rescale.once / rescale.sent) * 100, '%',
        `${rescale.sent} messages during the rescale (${tidy(rescale.rescaleMs / 1000)} s): ${rescale.once} with exactly one turn, ${rescale.sent - rescale.once} with none or more`),
    ];
  } finally {
    await fleet.close();
    o.track?.(undefined);
  }
}

/**
 * Writers, one per agent, each sending its next message as soon as the last is answered, from just before the
 * rescale starts until it is over (and at least twice). Exactly once is counted on the model's recorded calls.
 */
async function rescaleWhileWriting(fleet: BenchFleet, agents: readonly string[], to: number): Promise<{ sent: number; once: number; rescaleMs: number }> {
  let rescaling = true;
  const sent: Array<{ agent: string; marker: string }> = [];
  const started = performance.now();
  // Settled into a value at once: a failed rescale must not reject unobserved while the writers still run.
  const scaled = fleet.useShards(to, SHARDS_START_TIMEOUT_MS).then(() => undefined, (err: unknown) => err as Error).finally(() => { rescaling = false; });
  await runPool(agents.length, agents.length, async (i) => {
    const agent = agents[i]!;
    for (let n = 0; rescaling || n < 2; n++) {
      const marker = `[rescale ${i}.${n}]`;
      sent.push({ agent, marker });
      await fleet.ask(agent, `Where are we on the roadmap? ${marker}`);
    }
  });
  const failure = await scaled;
  if (failure) throw failure;
  const rescaleMs = performance.now() - started;
  const requests = fleet.modelRequests();
  const turns = (agent: string, marker: string) => requests.filter((q) => {
    const last = q.messages.at(-1);
    return q.agentId === agent && last?.role === 'user' && last.content.includes(marker);
  }).length;
  return { sent: sent.length, once: sent.filter((m) => turns(m.agent, m.marker) === 1).length, rescaleMs };
}
