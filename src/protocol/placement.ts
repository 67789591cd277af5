import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest-random-weight) placement: each agent goes to the live shard with the highest hash of
 * (shard, agent). Adding a shard to N moves only the ~1/(N+1) agents for which the new shard wins, and removing one
 * moves only that shard's agents; no table is kept, so every router computes the same answer.
 */
export function placeAgent(agentId: string, shardIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const shard of shardIds) {
    const score = weight(shard, agentId);
    if (score > bestScore || (score === bestScore && best !== undefined && shard < best)) {
      best = shard;
      bestScore = score;
    }
  }
  return best;
}

function weight(shardId: string, agentId: string): bigint {
  return createHash('sha256').update(shardId).update('\0').update(agentId).digest().readBigUInt64BE(0);
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
