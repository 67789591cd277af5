import { openDatabase, type Db, type Migration } from '../store/sqlite.ts';
import type { Delivery } from '../protocol/wire.ts';

const migrations: Migration[] = [
  (db) => db.exec(`
    CREATE TABLE deliveries (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      agent_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed', 'skipped')),
      attempts INTEGER NOT NULL DEFAULT 0,
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
  (db) => db.exec(`
    -- 'released': given back to the router (the agent moved, or the shard stopped) and done elsewhere.
    -- reported: the router has been told the delivery is finished or released (kept across restarts).
    CREATE TABLE deliveries_v2 (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      agent_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed', 'skipped', 'released')),
      attempts INTEGER NOT NULL DEFAULT 0,
      -- The reply the agent decided, saved with the turn's usage in one transaction: a send retried after a crash or
      -- an outage posts this text with the same transaction id, and the model is never asked twice.
      reply TEXT,
      last_error TEXT,
      received_at INTEGER NOT NULL,
      finished_at INTEGER,
      reported INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO deliveries_v2 (seq, id, agent_id, payload, state, attempts, reply, last_error, received_at, finished_at, reported)
      SELECT seq, id, agent_id, payload, state, attempts, reply, last_error, received_at, finished_at, 1 FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_v2 RENAME TO deliveries;
    CREATE INDEX deliveries_pending ON deliveries (state, agent_id, seq);
    CREATE INDEX deliveries_unreported ON deliveries (reported, state);
    -- One row per agent turn, for the activity feed (who asked whom, latency, model, tokens, outcome).
    CREATE TABLE turns (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      delivery_id TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      sender_id TEXT NOT NULL,
      room_id TEXT NOT NULL,
      event_id TEXT NOT NULL,
      latency_ms INTEGER NOT NULL,
      provider TEXT NOT NULL,
      model TEXT NOT NULL,
      input_tokens INTEGER NOT NULL,
      output_tokens INTEGER NOT NULL,
      cost_usd REAL NOT NULL,
      outcome TEXT NOT NULL,
      error TEXT
    );
    CREATE INDEX turns_at ON turns (at);
    CREATE INDEX turns_agent ON turns (agent_id, at);
  `),
];

export interface UsageRow { agentId: string; provider: string; model: string; inputTokens: number; outputTokens: number; turns: number; costUsd: number }

export interface StoredDelivery { seq: number; delivery: Delivery; attempts: number; reply: string | null }

export type FinalState = 'done' | 'failed' | 'skipped' | 'released';

export interface TurnRow {
  at: number; deliveryId: string; agentId: string; senderId: string; roomId: string; eventId: string; latencyMs: number;
  provider: string; model: string; inputTokens: number; outputTokens: number; costUsd: number;
  outcome: 'replied' | 'silent' | 'apology' | 'skipped' | 'failed'; error?: string;
}

type Row = { seq: number; payload: string; attempts: number; reply: string | null };
const toStored = (r: Row): StoredDelivery => ({ seq: r.seq, delivery: JSON.parse(r.payload) as Delivery, attempts: r.attempts, reply: r.reply });

function prepare(db: Db) {
  return {
    insert: db.prepare(`INSERT INTO deliveries (id, agent_id, payload, received_at, reply) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET state = 'pending', reported = 0, payload = excluded.payload,
      reply = COALESCE(excluded.reply, reply) WHERE state = 'released'`),
    byId: db.prepare('SELECT seq, payload, attempts, reply, state FROM deliveries WHERE id = ?'),
    nextFor: db.prepare(`SELECT seq, payload, attempts, reply FROM deliveries WHERE state = 'pending' AND agent_id = ? ORDER BY seq LIMIT 1`),
    pendingAgents: db.prepare(`SELECT DISTINCT agent_id AS agentId FROM deliveries WHERE state = 'pending'`),
    pendingIdsFor: db.prepare(`SELECT id FROM deliveries WHERE state = 'pending' AND agent_id = ?`),
    pendingCounts: db.prepare(`SELECT agent_id AS agentId, COUNT(*) AS n FROM deliveries WHERE state = 'pending' GROUP BY agent_id`),
    finish: db.prepare('UPDATE deliveries SET state = ?, last_error = ?, finished_at = ?, reported = 0 WHERE seq = ?'),
    releaseAgent: db.prepare(`UPDATE deliveries SET state = 'released', finished_at = ?, reported = 0 WHERE state = 'pending' AND agent_id = ?`),
    attempt: db.prepare('UPDATE deliveries SET attempts = attempts + 1, last_error = ? WHERE seq = ?'),
    setReply: db.prepare('UPDATE deliveries SET reply = ? WHERE seq = ?'),
    unreported: db.prepare(`SELECT id, state, reply FROM deliveries WHERE reported = 0 AND state != 'pending' LIMIT ?`),
    markReported: db.prepare('UPDATE deliveries SET reported = 1 WHERE id = ?'),
    reReport: db.prepare(`UPDATE deliveries SET reported = 0 WHERE id = ? AND state != 'pending'`),
    counts: db.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state'),
    skippedFor: db.prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE state = 'skipped' AND last_error = ?`),
    addUsage: db.prepare(`INSERT INTO usage (agent_id, provider, model, input_tokens, output_tokens, turns, cost_usd) VALUES (?, ?, ?, ?, ?, 1, ?)
      ON CONFLICT (agent_id, provider, model) DO UPDATE SET input_tokens = input_tokens + excluded.input_tokens,
      output_tokens = output_tokens + excluded.output_tokens, turns = turns + 1, cost_usd = cost_usd + excluded.cost_usd`),
    usage: db.prepare(`SELECT agent_id AS agentId, provider, model, input_tokens AS inputTokens, output_tokens AS outputTokens,
      turns, cost_usd AS costUsd FROM usage ORDER BY cost_usd DESC, input_tokens + output_tokens DESC LIMIT ?`),
    usageByAgent: db.prepare(`SELECT agent_id AS agentId, SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens,
      SUM(turns) AS turns, SUM(cost_usd) AS costUsd FROM usage GROUP BY agent_id`),
    lastTurns: db.prepare('SELECT agent_id AS agentId, MAX(at) AS at FROM turns GROUP BY agent_id'),
    addTurn: db.prepare(`INSERT INTO turns (at, delivery_id, agent_id, sender_id, room_id, event_id, latency_ms, provider, model,
      input_tokens, output_tokens, cost_usd, outcome, error) VALUES (@at, @deliveryId, @agentId, @senderId, @roomId, @eventId,
      @latencyMs, @provider, @model, @inputTokens, @outputTokens, @costUsd, @outcome, @error)`),
    turnsSince: db.prepare(`SELECT seq, at, delivery_id AS deliveryId, agent_id AS agentId, sender_id AS senderId, room_id AS roomId,
      event_id AS eventId, latency_ms AS latencyMs, provider, model, input_tokens AS inputTokens, output_tokens AS outputTokens,
      cost_usd AS costUsd, outcome, error FROM turns WHERE at > ? ORDER BY seq DESC LIMIT ?`),
    pruneDeliveries: db.prepare(`DELETE FROM deliveries WHERE state != 'pending' AND reported = 1 AND finished_at < ?`),
    pruneTurns: db.prepare('DELETE FROM turns WHERE at < ?'),
  };
}

/**
 * The shard's own SQLite: deliveries it accepted (so a crash after acknowledging loses nothing), each turn's reply
 * and usage, which finished deliveries the router still has to hear about, and the activity of recent turns.
 * It acknowledges to the router, so commits are fsynced (FULL).
 */
export class ShardStore {
  readonly db: Db;
  private readonly s: ReturnType<typeof prepare>;

  constructor(path: string) {
    this.db = openDatabase(path, migrations, { synchronous: 'FULL' });
    this.s = prepare(this.db);
  }

  /** Stores new deliveries (or takes back released ones); returns those to do (a repeat is acknowledged, not redone). */
  accept(deliveries: Delivery[]): StoredDelivery[] {
    const now = Date.now();
    return this.db.transaction(() => {
      const fresh: StoredDelivery[] = [];
      for (const d of deliveries) {
        if (this.s.insert.run(d.id, d.agentId, JSON.stringify(d), now, d.reply ?? null).changes === 1) {
          fresh.push(toStored(this.s.byId.get(d.id) as Row));
        }
      }
      return fresh;
    })();
  }

  /** The agent's oldest pending delivery: each agent's work is done in the order it was accepted. */
  nextFor(agentId: string): StoredDelivery | undefined {
    const r = this.s.nextFor.get(agentId) as Row | undefined;
    return r ? toStored(r) : undefined;
  }

  agentsWithPending(): string[] {
    return (this.s.pendingAgents.all() as Array<{ agentId: string }>).map((r) => r.agentId);
  }

  pendingCounts(): Map<string, number> {
    return new Map((this.s.pendingCounts.all() as Array<{ agentId: string; n: number }>).map((r) => [r.agentId, r.n]));
  }

  state(id: string): string | undefined {
    return (this.s.byId.get(id) as { state: string } | undefined)?.state;
  }

  finish(seq: number, state: FinalState, error?: string): void {
    this.s.finish.run(state, error ?? null, Date.now(), seq);
  }

  /** Gives back every pending delivery of an agent this shard no longer hosts; returns their ids. */
  releaseAgent(agentId: string): string[] {
    return this.db.transaction(() => {
      const ids = (this.s.pendingIdsFor.all(agentId) as Array<{ id: string }>).map((r) => r.id);
      this.s.releaseAgent.run(Date.now(), agentId);
      return ids;
    })();
  }

  attempted(seq: number, error: string): void {
    this.s.attempt.run(error.slice(0, 1000), seq);
  }

  /** The turn's outcome in one commit: the reply to post, its usage and its activity row, or none of them. */
  saveTurn(seq: number, reply: string, usage: Omit<UsageRow, 'turns'> | undefined, turn: TurnRow): void {
    this.db.transaction(() => {
      this.s.setReply.run(reply, seq);
      if (usage) this.s.addUsage.run(usage.agentId, usage.provider, usage.model, usage.inputTokens, usage.outputTokens, usage.costUsd);
      this.recordTurn(turn);
    })();
  }

  recordTurn(turn: TurnRow): void {
    this.s.addTurn.run({ ...turn, error: turn.error ?? null });
  }

  /** Finished or released deliveries the router has not been told about yet. */
  unreported(limit = 500): Array<{ id: string; state: FinalState; reply: string | null }> {
    return this.s.unreported.all(limit) as Array<{ id: string; state: FinalState; reply: string | null }>;
  }

  /** Asks for a finished delivery to be reported again; false when it is still pending (or unknown). */
  reReport(id: string): boolean {
    return this.s.reReport.run(id).changes === 1;
  }

  markReported(ids: readonly string[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.s.markReported.run(id);
    })();
  }

  addUsage(agentId: string, provider: string, model: string, inputTokens: number, outputTokens: number, costUsd = 0): void {
    this.s.addUsage.run(agentId, provider, model, inputTokens, outputTokens, costUsd);
  }

  /** Token use and estimated cost per agent and provider, biggest spenders first. */
  usage(limit = 50): UsageRow[] {
    return this.s.usage.all(limit) as UsageRow[];
  }

  usageByAgent(): Map<string, Omit<UsageRow, 'provider' | 'model'>> {
    return new Map((this.s.usageByAgent.all() as Array<Omit<UsageRow, 'provider' | 'model'>>).map((r) => [r.agentId, r]));
  }

  lastTurnAt(): Map<string, number> {
    return new Map((this.s.lastTurns.all() as Array<{ agentId: string; at: number }>).map((r) => [r.agentId, r.at]));
  }

  /** Most recent turns after `sinceAt`, oldest first. */
  turnsSince(sinceAt: number, limit: number): Array<TurnRow & { seq: number }> {
    return (this.s.turnsSince.all(sinceAt, limit) as Array<TurnRow & { seq: number; error: string | null }>)
      .reverse().map(({ error, ...t }) => (error ? { ...t, error } : t));
  }

  /** Retention: finished work the router knows about, and activity, older than `olderThanMs`. */
  prune(olderThanMs: number, now = Date.now()): void {
    this.s.pruneDeliveries.run(now - olderThanMs);
    this.s.pruneTurns.run(now - olderThanMs);
  }

  /** How many deliveries were skipped for a reason ('hop limit', 'agent stayed silent', ...). */
  skipped(reason: string): number {
    return (this.s.skippedFor.get(reason) as { n: number }).n;
  }

  counts(): { pending: number; done: number; failed: number; skipped: number; released: number } {
    const out = { pending: 0, done: 0, failed: 0, skipped: 0, released: 0 };
    for (const r of this.s.counts.all() as Array<{ state: string; n: number }>) out[r.state as keyof typeof out] = r.n;
    return out;
  }

  close(): void {
    this.db.close();
  }
}
