import { openDatabase, type Db, type Migration } from '../store/sqlite.ts';
import type { Delivery } from './protocol.ts';

const migrations: Migration[] = [
  (db) => db.exec(`
    -- Work the router handed over: stored before the router gets its 200, finished in order per agent.
    CREATE TABLE deliveries (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      agent_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed', 'skipped')),
      attempts INTEGER NOT NULL DEFAULT 0,
      -- The reply decided by the agent, kept so a retried send posts the same text with the same transaction id.
      reply TEXT,
      last_error TEXT,
      received_at INTEGER NOT NULL,
      finished_at INTEGER
    );
    CREATE INDEX deliveries_pending ON deliveries (state, agent_id, seq);
    CREATE TABLE provisioned_users (user_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
    CREATE TABLE usage (agent_id TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
      input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, turns INTEGER NOT NULL,
      PRIMARY KEY (agent_id, provider, model));
  `),
  (db) => db.exec(`ALTER TABLE usage ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;`),
];

export interface UsageRow { agentId: string; provider: string; model: string; inputTokens: number; outputTokens: number; turns: number; costUsd: number }

export interface StoredDelivery { seq: number; delivery: Delivery; attempts: number; reply: string | null }

function prepare(db: Db) {
  return {
    insert: db.prepare('INSERT OR IGNORE INTO deliveries (id, agent_id, payload, received_at) VALUES (?, ?, ?, ?)'),
    get: db.prepare('SELECT seq, payload, attempts, reply, state FROM deliveries WHERE id = ?'),
    pending: db.prepare(`SELECT seq, payload, attempts, reply FROM deliveries WHERE state = 'pending' ORDER BY seq`),
    finish: db.prepare('UPDATE deliveries SET state = ?, last_error = ?, finished_at = ? WHERE seq = ?'),
    attempt: db.prepare('UPDATE deliveries SET attempts = attempts + 1, last_error = ? WHERE seq = ?'),
    setReply: db.prepare('UPDATE deliveries SET reply = ? WHERE seq = ?'),
    counts: db.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state'),
    skippedFor: db.prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE state = 'skipped' AND last_error = ?`),
    addUsage: db.prepare(`INSERT INTO usage (agent_id, provider, model, input_tokens, output_tokens, turns, cost_usd) VALUES (?, ?, ?, ?, ?, 1, ?)
      ON CONFLICT (agent_id, provider, model) DO UPDATE SET input_tokens = input_tokens + excluded.input_tokens,
      output_tokens = output_tokens + excluded.output_tokens, turns = turns + 1, cost_usd = cost_usd + excluded.cost_usd`),
    usage: db.prepare(`SELECT agent_id AS agentId, provider, model, input_tokens AS inputTokens, output_tokens AS outputTokens,
      turns, cost_usd AS costUsd FROM usage ORDER BY cost_usd DESC, input_tokens + output_tokens DESC LIMIT ?`),
  };
}

/** The shard's own SQLite: its accepted deliveries (so a crash after acknowledging loses nothing) and usage. */
export class ShardStore {
  readonly db: Db;
  private readonly s: ReturnType<typeof prepare>;

  constructor(path: string) {
    this.db = openDatabase(path, migrations);
    this.s = prepare(this.db);
  }

  /** Stores new deliveries; returns those not seen before (a redelivered one is acknowledged but not redone). */
  accept(deliveries: Delivery[]): StoredDelivery[] {
    const now = Date.now();
    return this.db.transaction(() => {
      const fresh: StoredDelivery[] = [];
      for (const d of deliveries) {
        const r = this.s.insert.run(d.id, d.agentId, JSON.stringify(d), now);
        if (r.changes === 1) fresh.push({ seq: Number(r.lastInsertRowid), delivery: d, attempts: 0, reply: null });
      }
      return fresh;
    })();
  }

  pending(): StoredDelivery[] {
    return (this.s.pending.all() as Array<{ seq: number; payload: string; attempts: number; reply: string | null }>)
      .map((r) => ({ seq: r.seq, delivery: JSON.parse(r.payload) as Delivery, attempts: r.attempts, reply: r.reply }));
  }

  state(id: string): string | undefined {
    return (this.s.get.get(id) as { state: string } | undefined)?.state;
  }

  finish(seq: number, state: 'done' | 'failed' | 'skipped', error?: string): void {
    this.s.finish.run(state, error ?? null, Date.now(), seq);
  }

  attempted(seq: number, error: string): void {
    this.s.attempt.run(error.slice(0, 1000), seq);
  }

  saveReply(seq: number, reply: string): void {
    this.s.setReply.run(reply, seq);
  }

  addUsage(agentId: string, provider: string, model: string, inputTokens: number, outputTokens: number, costUsd = 0): void {
    this.s.addUsage.run(agentId, provider, model, inputTokens, outputTokens, costUsd);
  }

  /** Token use and estimated cost per agent and provider, biggest spenders first. */
  usage(limit = 50): UsageRow[] {
    return this.s.usage.all(limit) as UsageRow[];
  }

  /** How many deliveries were skipped for a reason ('hop limit', 'agent stayed silent', ...). */
  skipped(reason: string): number {
    return (this.s.skippedFor.get(reason) as { n: number }).n;
  }

  counts(): { pending: number; done: number; failed: number; skipped: number } {
    const out = { pending: 0, done: 0, failed: 0, skipped: 0 };
    for (const r of this.s.counts.all() as Array<{ state: string; n: number }>) out[r.state as keyof typeof out] = r.n;
    return out;
  }

  close(): void {
    this.db.close();
  }
}
