import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { movedShare, placeAgent, Placement } from '../../../src/protocol/placement.ts';

const agents = Array.from({ length: 10_000 }, (_, i) => `@agent.${i}:anycompany.corp`);
const shards = (n: number) => Array.from({ length: n }, (_, i) => `shard-${i}`);

/** The placement as first written (a sha256 object and a BigInt per pair): routers of both versions must agree. */
function referencePlacement(agentId: string, shardIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const shard of shardIds) {
    const score = createHash('sha256').update(shard).update('\0').update(agentId).digest().readBigUInt64BE(0);
    if (score > bestScore || (score === bestScore && best !== undefined && shard < best)) [best, bestScore] = [shard, score];
  }
  return best;
}

describe('placement of 10,000 agents over 12 shards', { timeout: 60_000 }, () => {
  it('places every agent as the original rendezvous hash does', () => {
    for (const a of agents.slice(0, 2000)) expect(placeAgent(a, shards(12))).toBe(referencePlacement(a, shards(12)));
  });

  it('places all 10,000 in well under a few seconds and spreads them evenly', () => {
    const started = performance.now();
    const placement = new Placement(shards(12));
    const counts = new Map<string, number>();
    for (const a of agents) counts.set(placement.shardFor(a)!, (counts.get(placement.shardFor(a)!) ?? 0) + 1);
    expect(performance.now() - started).toBeLessThan(5000);
    for (const s of shards(12)) expect(counts.get(s)).toBeGreaterThan((10_000 / 12) * 0.85);
  });

  it('moves 4/12 of the agents for 8 → 12, within 3 points', () => {
    expect(Math.abs(movedShare(agents, shards(8), shards(12)) - 4 / 12)).toBeLessThan(0.03);
  });
});
