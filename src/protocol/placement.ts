import { hash } from 'node:crypto';

/**
 * Rendezvous (highest-random-weight) placement: each agent goes to the live shard with the highest hash of
 * (shard, agent). Adding a shard to N moves only the ~1/(N+1) agents for which the new shard wins, and removing one
 * moves only that shard's agents; no table is kept, so every router computes the same answer.
 *
 * The weight is the first 64 bits of sha256(shard, NUL, agent), compared as two 32-bit halves: the same order as
 * the 64-bit integer, without a BigInt or a hash object per pair (10,000 agents × 12 shards is 120,000 hashes on a
 * rescale; one-shot `crypto.hash` halves their cost).
 */
export function placeAgent(agentId: string, shardIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestHigh = -1;
  let bestLow = -1;
  for (const shard of shardIds) {
    const digest = hash('sha256', `${shard}\0${agentId}`, 'buffer');
    const high = digest.readUInt32BE(0);
    const low = digest.readUInt32BE(4);
    const wins = high > bestHigh || (high === bestHigh && (low > bestLow || (low === bestLow && best !== undefined && shard < best)));
    if (wins) {
      best = shard;
      bestHigh = high;
      bestLow = low;
    }
  }
  return best;
}

/** Caches placements for one shard set; a new shard set means a new Placement. */
export class Placement {
  readonly shardIds: readonly string[];
  private readonly cache = new Map<string, string | undefined>();

  constructor(shardIds: readonly string[]) {
    this.shardIds = [...shardIds].sort();
  }

  shardFor(agentId: string): string | undefined {
    let shard = this.cache.get(agentId);
    if (shard === undefined && !this.cache.has(agentId)) {
      shard = placeAgent(agentId, this.shardIds);
      this.cache.set(agentId, shard);
    }
    return shard;
  }
}

/** Share of agents whose shard differs between two shard sets (for `./fleet bench rescale` and the admin view). */
export function movedShare(agentIds: readonly string[], before: readonly string[], after: readonly string[]): number {
  if (agentIds.length === 0) return 0;
  let moved = 0;
  for (const a of agentIds) if (placeAgent(a, before) !== placeAgent(a, after)) moved++;
  return moved / agentIds.length;
}
