import type { Db } from '../store/sqlite.ts';
import type { RoomEvent } from './mentions.ts';

export interface InboxItem { seq: number; event: RoomEvent; attempts: number }

/** An event parked after its last failed attempt, as admins see it. */
export interface ParkedEvent { seq: number; eventId: string; roomId: string; sender: string; attempts: number; lastError: string | null; receivedAt: number }

export interface RetentionOptions {
  /** How long done events (their ids), transaction ids and rejected entries are kept: dedupe works inside it. */
  horizonMs: number;
}

/** A week: far longer than any homeserver re-sends a transaction, short enough that nothing piles up. */
export const DEFAULT_RETENTION: RetentionOptions = { horizonMs: 7 * 24 * 3600_000 };

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

function senderOf(payload: string): string {
  try {
    const sender = (JSON.parse(payload) as { sender?: unknown }).sender;
    return typeof sender === 'string' ? sender : '?';
  } catch {
    return '?';
  }
}

function prepare(db: Db) {
  return {
    hasTxn: db.prepare('SELECT 1 FROM transactions WHERE txn_id = ?'),
    addTxn: db.prepare('INSERT OR REPLACE INTO transactions (txn_id, received_at, events) VALUES (?, ?, ?)'),
    addEvent: db.prepare('INSERT OR IGNORE INTO inbox (event_id, room_id, payload, received_at) VALUES (?, ?, ?, ?)'),
    reject: db.prepare('INSERT INTO rejected_events (txn_id, reason, payload, received_at) VALUES (?, ?, ?, ?)'),
    pending: db.prepare(`SELECT seq, payload, attempts FROM inbox WHERE state = 'pending' ORDER BY seq LIMIT ?`),
    // Routed: only the event id (dedupe) and state are kept; what the event said is not the router's to keep.
    done: db.prepare(`UPDATE inbox SET state = 'done', last_error = NULL, payload = '', room_id = '' WHERE seq = ?`),
    fail: db.prepare(`UPDATE inbox SET attempts = attempts + 1, last_error = ?,
      state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END WHERE seq = ?`),
    counts: db.prepare('SELECT state, COUNT(*) AS n FROM inbox GROUP BY state'),
    has: db.prepare('SELECT 1 FROM inbox WHERE event_id = ?'),
    parked: db.prepare(`SELECT seq, event_id, room_id, payload, attempts, last_error, received_at FROM inbox
      WHERE state = 'failed' ORDER BY seq LIMIT ?`),
    replayOne: db.prepare(`UPDATE inbox SET state = 'pending', attempts = 0 WHERE seq = ? AND state = 'failed'`),
    replayAll: db.prepare(`UPDATE inbox SET state = 'pending', attempts = 0 WHERE state = 'failed'`),
    pruneDone: db.prepare(`DELETE FROM inbox WHERE state = 'done' AND received_at < ?`),
    pruneTxns: db.prepare('DELETE FROM transactions WHERE received_at < ?'),
    pruneRejected: db.prepare('DELETE FROM rejected_events WHERE received_at < ?'),
  };
}

/**
 * The router's durable inbox. A transaction is recorded together with its events in one SQLite transaction, before
 * the homeserver gets its 200: a crash after the acknowledgement loses nothing, and a re-sent transaction (same id)
 * or a re-delivered event (same event id) is not processed twice, within the retention horizon (`prune`).
 * Once routed, an event's content is dropped: the router keeps no copy of what people said, whoever it addressed.
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

  /** The event was routed: its content is dropped, its id stays (until the horizon) so a re-send is recognised. */
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

  /** Parked events, oldest first, for the admin room's `parked`. */
  parked(limit = 20): ParkedEvent[] {
    type Row = { seq: number; event_id: string; room_id: string; payload: string; attempts: number; last_error: string | null; received_at: number };
    return (this.stmts.parked.all(limit) as Row[]).map((r) => ({
      seq: r.seq, eventId: r.event_id, roomId: r.room_id, sender: senderOf(r.payload), attempts: r.attempts,
      lastError: r.last_error, receivedAt: r.received_at,
    }));
  }

  /**
   * Puts parked events back in the queue with a fresh attempt count (the last error stays until they succeed).
   * Returns how many were parked; the dispatcher must be woken afterwards. Shards drop repeats by delivery id.
   */
  replay(target: number | 'all'): number {
    return (target === 'all' ? this.stmts.replayAll.run() : this.stmts.replayOne.run(target)).changes;
  }

  /**
   * Forgets what is older than the horizon: done events, transaction ids, rejected entries. Pending and parked
   * events are never pruned (they are work, or evidence for admins). Returns the rows removed.
   */
  prune(now = Date.now(), opts: RetentionOptions = DEFAULT_RETENTION): number {
    const before = now - opts.horizonMs;
    return this.db.transaction(() => this.stmts.pruneDone.run(before).changes + this.stmts.pruneTxns.run(before).changes
      + this.stmts.pruneRejected.run(before).changes)();
  }

  counts(): { pending: number; done: number; failed: number } {
    const out = { pending: 0, done: 0, failed: 0 };
    for (const r of this.stmts.counts.all() as Array<{ state: string; n: number }>) out[r.state as keyof typeof out] = r.n;
    return out;
  }
}
