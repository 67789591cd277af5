import type { Delivery } from '../protocol/wire.ts';
import type { Db } from '../store/sqlite.ts';

function prepare(db: Db) {
  return {
    add: db.prepare(`INSERT OR IGNORE INTO outbox (delivery_id, seq, agent_id, payload, created_at) VALUES (?, ?, ?, ?, ?)`),
    // The hand-over scan reads no payloads: only what decides where each delivery belongs.
    open: db.prepare('SELECT delivery_id AS id, seq, agent_id AS agentId, holder FROM outbox ORDER BY seq'),
    payload: db.prepare('SELECT payload FROM outbox WHERE delivery_id = ?'),
    get: db.prepare('SELECT delivery_id AS id, seq, agent_id AS agentId, holder FROM outbox WHERE delivery_id = ?'),
    assign: db.prepare('UPDATE outbox SET holder = ?, handed_at = ? WHERE delivery_id = ?'),
    complete: db.prepare('DELETE FROM outbox WHERE delivery_id = ? AND holder = ?'),
    giveBack: db.prepare(`UPDATE outbox SET holder = NULL,
      payload = CASE WHEN @reply IS NULL THEN payload ELSE json_set(payload, '$.reply', @reply) END
      WHERE delivery_id = @id AND holder = @holder`),
    count: db.prepare('SELECT holder, COUNT(*) AS n FROM outbox GROUP BY holder'),
  };
}

export interface OpenDelivery { id: string; seq: number; agentId: string; holder: string | null }

/**
 * Deliveries routing decided and no shard has finished yet. A row stays until the shard it was handed to reports
 * it finished; the hand-over moves rows whose shard died, lost the agent or gave them back.
 */
export class Outbox {
  private readonly db: Db;
  private readonly s: ReturnType<typeof prepare>;

  constructor(db: Db) {
    this.db = db;
    this.s = prepare(db);
  }

  add(seq: number, deliveries: readonly Delivery[]): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const d of deliveries) this.s.add.run(d.id, seq, d.agentId, JSON.stringify(d), now);
    })();
  }

  open(): OpenDelivery[] {
    return this.s.open.all() as OpenDelivery[];
  }

  get(id: string): OpenDelivery | undefined {
    return this.s.get.get(id) as OpenDelivery | undefined;
  }

  payloads(ids: readonly string[]): Delivery[] {
    return ids.flatMap((id) => {
      const row = this.s.payload.get(id) as { payload: string } | undefined;
      return row ? [JSON.parse(row.payload) as Delivery] : [];
    });
  }

  /** Records who holds deliveries; returns the previous holders so a failed hand-over can be undone. */
  assign(ids: readonly string[], holder: string | null, previous?: ReadonlyMap<string, string | null>): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const id of ids) this.s.assign.run(previous ? previous.get(id) ?? null : holder, now, id);
    })();
  }

  /** Only the holder can finish a delivery: another shard's report about it is ignored. Returns how many ended. */
  complete(holder: string, ids: readonly string[]): number {
    return this.db.transaction(() => ids.reduce((n, id) => n + this.s.complete.run(id, holder).changes, 0))();
  }

  /** A shard gives back work it will not do (it lost the agent, or is stopping): handed again at once. */
  giveBack(holder: string, ids: readonly string[], replies: Readonly<Record<string, string>> = {}): void {
    this.db.transaction(() => {
      for (const id of ids) this.s.giveBack.run({ id, holder, reply: typeof replies[id] === 'string' ? replies[id] : null });
    })();
  }

  countsByHolder(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.s.count.all() as Array<{ holder: string | null; n: number }>) out[r.holder ?? ''] = r.n;
    return out;
  }
}
