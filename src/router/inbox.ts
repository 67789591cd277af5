import type { Db } from '../store/sqlite.ts';
import type { RoomEvent } from './mentions.ts';

export interface InboxItem { seq: number; event: RoomEvent; attempts: number }

export interface AcceptResult {
  /** The transaction id was seen before. */
  duplicateTransaction: boolean;
  /** Events new to the inbox (a re-sent transaction has none). */
  accepted: number;
  rejected: number;
}

/** Why a transaction entry is not a usable Matrix event, or null when it is. */
export function eventShapeProblem(ev: unknown): string | null {
  if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) return 'not a JSON object';
  const e = ev as Record<string, unknown>;
  for (const key of ['event_id', 'type', 'room_id', 'sender'] as const) {
    if (typeof e[key] !== 'string' || (e[key] as string).length === 0) return `missing or non-string "${key}"`;
  }
  if (e.content !== undefined && (typeof e.content !== 'object' || e.content === null || Array.isArray(e.content))) {
    return '"content" is not an object';
  }
  return null;
}

function prepare(db: Db) {
  return {
    hasTxn: db.prepare('SELECT 1 FROM transactions WHERE txn_id = ?'),
    addTxn: db.prepare('INSERT OR REPLACE INTO transactions (txn_id, received_at, events) VALUES (?, ?, ?)'),
    addEvent: db.prepare('INSERT OR IGNORE INTO inbox (event_id, room_id, payload, received_at) VALUES (?, ?, ?, ?)'),
    reject: db.prepare('INSERT INTO rejected_events (txn_id, reason, payload, received_at) VALUES (?, ?, ?, ?)'),
    pending: db.prepare(`SELECT seq, payload, attempts FROM inbox WHERE state = 'pending' ORDER BY seq LIMIT ?`),
    done: db.prepare(`UPDATE inbox SET state = 'done', last_error = NULL WHERE seq = ?`),
    fail: db.prepare(`UPDATE inbox SET attempts = attempts + 1, last_error = ?,
      state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END WHERE seq = ?`),
    counts: db.prepare('SELECT state, COUNT(*) AS n FROM inbox GROUP BY state'),
    has: db.prepare('SELECT 1 FROM inbox WHERE event_id = ?'),
  };
}

/**
 * The router's durable inbox. A transaction is recorded together with its events in one SQLite transaction, before
 * the homeserver gets its 200: a crash after the acknowledgement loses nothing, and a re-sent transaction (same id)
 * or a re-delivered event (same event id) is not processed twice.
 */
export class Inbox {
  private readonly db: Db;
  private readonly stmts: ReturnType<typeof prepare>;

  constructor(db: Db) {
    this.db = db;
    this.stmts = prepare(db);
  }

  /**
   * Event ids, not transaction ids, decide what is new: Synapse on SQLite restarts its transaction numbering at 1
   * when it restarts, so a known transaction id may carry new events. A genuinely re-sent transaction carries the
   * same events and adds nothing.
   */
  accept(txnId: string, events: unknown[]): AcceptResult {
    const now = Date.now();
    return this.db.transaction((): AcceptResult => {
      const duplicateTransaction = this.stmts.hasTxn.get(txnId) !== undefined;
      let accepted = 0;
      let rejected = 0;
      for (const ev of events) {
        const problem = eventShapeProblem(ev);
        if (problem && duplicateTransaction) continue; // kept the first time round
        if (problem) {
          this.stmts.reject.run(txnId, problem, JSON.stringify(ev) ?? 'undefined', now);
          rejected++;
          continue;
        }
        const e = ev as RoomEvent;
        accepted += this.stmts.addEvent.run(e.event_id, e.room_id, JSON.stringify(e), now).changes;
      }
      this.stmts.addTxn.run(txnId, now, events.length);
      return { duplicateTransaction, accepted, rejected };
    })();
  }

  pending(limit = 200): InboxItem[] {
    return (this.stmts.pending.all(limit) as Array<{ seq: number; payload: string; attempts: number }>).map((r) => ({
      seq: r.seq, attempts: r.attempts, event: JSON.parse(r.payload) as RoomEvent,
    }));
  }

  markDone(seq: number): void {
    this.stmts.done.run(seq);
  }

  /** Records a failed attempt; after maxAttempts the event is parked as 'failed' (kept, visible to admins). */
  markFailed(seq: number, error: string, maxAttempts: number): void {
    this.stmts.fail.run(error.slice(0, 1000), maxAttempts, seq);
  }

  /** Whether an event (by id) or a transaction (by id) was ever accepted. */
  seen(kind: 'event' | 'transaction', id: string): boolean {
    return (kind === 'event' ? this.stmts.has : this.stmts.hasTxn).get(id) !== undefined;
  }

  counts(): { pending: number; done: number; failed: number } {
    const out = { pending: 0, done: 0, failed: 0 };
    for (const r of this.stmts.counts.all() as Array<{ state: string; n: number }>) out[r.state as keyof typeof out] = r.n;
    return out;
  }
}
