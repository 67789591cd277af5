import { txnId } from '../matrix/txn-id.ts';
import PQueue from 'p-queue';
import pRetry from 'p-retry';
import { componentLogger, type Logger } from '../log.ts';
import { describeError, isRetryable } from '../matrix/errors.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { notStaffedNotice } from '../provision/live.ts';
import type { Delivery } from '../protocol/wire.ts';
import type { Db } from '../store/sqlite.ts';

export interface NotStaffedOptions {
  db: Db;
  org: OrgDirectory;
  /** Employees with a live agent; undefined: everyone. */
  live: ReadonlySet<string> | undefined;
  send(agentId: string, roomId: string, content: Record<string, unknown>, txnId: string): Promise<string>;
  log?: Logger;
  /** Retries of a notice the homeserver could not take (5xx, 429, no answer), spread over about half an hour. */
  retry?: { retries: number; minTimeoutMs: number; maxTimeoutMs: number };
}

const DEFAULT_RETRY = { retries: 12, minTimeoutMs: 1000, maxTimeoutMs: 5 * 60_000 };

const utcDay = (at: number): string => new Date(at).toISOString().slice(0, 10);

/** The tables that remember a room's notice of the day: the router's (store.ts) and the budget's (budget/tables.ts). */
type NoticeTable = 'not_staffed_notices' | 'budget_notices';

export interface RoomDayNoticeOptions {
  db: Db;
  table: NoticeTable;
  /** Kind of the notices' transaction ids: a retried notice is posted once. */
  kind: string;
  send(agentId: string, roomId: string, content: Record<string, unknown>, txnId: string): Promise<string>;
  log: Logger;
  retry?: { retries: number; minTimeoutMs: number; maxTimeoutMs: number };
  now?: () => number;
}

/**
 * A notice an employee posts, as a reply, at most once per room and UTC day, so a busy room is not spammed.
 *
 * A notice is a courtesy, never a reason to hold the event: it is sent on its own queue, after routing. One the
 * employee can never send (M_FORBIDDEN: a pill to a colleague who is not in the room) is given up at once and
 * logged; one the homeserver could not take now is retried with backoff, then given up and logged. A router
 * restart loses at most the notices still in that queue.
 */
export class RoomDayNotices {
  private readonly o: RoomDayNoticeOptions;
  private readonly queue = new PQueue({ concurrency: 4 });
  /** Notices queued and not finished, so a second message to the same room in the meantime adds none. */
  private readonly inFlight = new Set<string>();
  private readonly sent;
  private readonly mark;
  private readonly pruneBefore;

  constructor(opts: RoomDayNoticeOptions) {
    this.o = opts;
    this.sent = opts.db.prepare(`SELECT 1 FROM ${opts.table} WHERE room_id = ? AND agent_id = ? AND day = ?`);
    this.mark = opts.db.prepare(`INSERT OR IGNORE INTO ${opts.table} (room_id, agent_id, day) VALUES (?, ?, ?)`);
    this.pruneBefore = opts.db.prepare(`DELETE FROM ${opts.table} WHERE day < ?`);
  }

  /** Queues the notice answering this delivery, unless today's was sent (or is on its way) in that room. */
  offer(d: Delivery, body: () => string): void {
    const day = utcDay((this.o.now ?? Date.now)());
    const key = `${d.roomId}\0${d.agentId}\0${day}`;
    if (this.inFlight.has(key) || this.sent.get(d.roomId, d.agentId, day)) return;
    this.inFlight.add(key);
    void this.queue.add(() => this.notify(d, day, body())).finally(() => this.inFlight.delete(key));
  }

  /** Resolves when every queued notice was sent or given up (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  /** Forgets the days before yesterday: the table only answers "was today's notice sent here?". */
  prune(now = Date.now()): number {
    return this.pruneBefore.run(utcDay(now - 24 * 3600_000)).changes;
  }

  private async notify(d: Delivery, day: string, body: string): Promise<void> {
    const txn = txnId(this.o.kind, d.roomId, d.agentId, day);
    const content = {
      msgtype: 'm.notice',
      body,
      'm.relates_to': { 'm.in_reply_to': { event_id: d.event.event_id } },
      'm.mentions': {},
    };
    const retry = this.o.retry ?? DEFAULT_RETRY;
    const where = { roomId: d.roomId, agentId: d.agentId, eventId: d.event.event_id };
    try {
      await pRetry(async () => {
        try {
          await this.o.send(d.agentId, d.roomId, content, txn);
        } catch (err) {
          // p-retry needs an Error; the bot-sdk sometimes throws a bare response.
          throw err instanceof Error ? err : Object.assign(new Error(describeError(err)), { cause: err });
        }
      }, {
        retries: retry.retries, minTimeout: retry.minTimeoutMs, maxTimeout: retry.maxTimeoutMs, randomize: true,
        shouldRetry: ({ error }) => isRetryable(error),
      });
      // The transaction id keeps a notice single even if this mark is lost.
      this.mark.run(d.roomId, d.agentId, day);
    } catch (err) {
      if (isRetryable(err)) {
        this.o.log.warn({ ...where, err: describeError(err) }, 'notice not sent after retries; given up');
      } else {
        // The same request would fail the same way all day: remember it as done for today.
        this.mark.run(d.roomId, d.agentId, day);
        this.o.log.warn({ ...where, err: describeError(err) }, 'notice cannot be sent (e.g. the employee is not in the room); not retried');
      }
    }
  }
}

/**
 * Employees without a live agent still exist (users, rooms, directory). Messages to them are not handed to a shard;
 * the router answers, as them, with a polite notice, once per room and day (RoomDayNotices).
 */
export class NotStaffed {
  private readonly o: NotStaffedOptions;
  private readonly notices: RoomDayNotices;

  constructor(opts: NotStaffedOptions) {
    this.o = opts;
    this.notices = new RoomDayNotices({
      db: opts.db, table: 'not_staffed_notices', kind: 'ns', send: opts.send, log: opts.log ?? componentLogger('not-staffed'),
      ...(opts.retry ? { retry: opts.retry } : {}),
    });
  }

  /** The deliveries for live agents; for the others, queues the day's notice (invites and leaves always pass). */
  async filter(deliveries: Delivery[]): Promise<Delivery[]> {
    const live = this.o.live;
    if (!live) return deliveries;
    const keep: Delivery[] = [];
    for (const d of deliveries) {
      if (d.kind !== 'message' || live.has(d.agentId)) keep.push(d);
      else this.notices.offer(d, () => notStaffedNotice(this.o.org.get(d.agentId)!));
    }
    return keep;
  }

  idle(): Promise<void> {
    return this.notices.idle();
  }

  prune(now = Date.now()): number {
    return this.notices.prune(now);
  }
}
