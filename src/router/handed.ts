import type { Delivery } from '../shard/protocol.ts';
import type { Db } from '../store/sqlite.ts';

function prepare(db: Db) {
  return {
    record: db.prepare(`INSERT INTO handed (delivery_id, seq, shard_id, agent_id, payload, handed_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (delivery_id) DO UPDATE SET shard_id = excluded.shard_id, handed_at = excluded.handed_at`),
    complete: db.prepare('DELETE FROM handed WHERE delivery_id = ?'),
    all: db.prepare('SELECT delivery_id, seq, shard_id, payload FROM handed ORDER BY seq'),
    count: db.prepare('SELECT shard_id, COUNT(*) AS n FROM handed GROUP BY shard_id'),
  };
}

export interface HandedDelivery { seq: number; shardId: string; delivery: Delivery }

/**
 * What each shard is working on, as far as the router knows: recorded when a shard accepts deliveries, removed when
 * it reports them finished. A shard that dies leaves its rows behind, and they are handed to the agents' new shards.
 */
export class HandedDeliveries {
  private readonly db: Db;
  private readonly s: ReturnType<typeof prepare>;

  constructor(db: Db) {
    this.db = db;
    this.s = prepare(db);
  }

  record(shardId: string, work: Array<{ seq: number; delivery: Delivery }>): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const w of work) this.s.record.run(w.delivery.id, w.seq, shardId, w.delivery.agentId, JSON.stringify(w.delivery), now);
    })();
  }

  complete(ids: readonly string[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.s.complete.run(id);
    })();
  }

  /** Unfinished deliveries held by shards that are no longer live, oldest first. */
  orphans(liveShards: ReadonlySet<string>): HandedDelivery[] {
    return (this.s.all.all() as Array<{ delivery_id: string; seq: number; shard_id: string; payload: string }>)
      .filter((r) => !liveShards.has(r.shard_id))
      .map((r) => ({ seq: r.seq, shardId: r.shard_id, delivery: JSON.parse(r.payload) as Delivery }));
  }

  countsByShard(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.s.count.all() as Array<{ shard_id: string; n: number }>) out[r.shard_id] = r.n;
    return out;
  }
}
