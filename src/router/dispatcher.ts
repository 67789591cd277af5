import type { Logger } from '../log.ts';
import { routerMetrics } from '../metrics/metrics.ts';
import type { Inbox, InboxItem } from './inbox.ts';
import { isRetryable } from './retryable.ts';

export interface DispatcherOptions {
  inbox: Inbox;
  /** Routes one event and writes its deliveries to the outbox; throws when it could not (see retryable.ts). */
  processEvent: (item: InboxItem) => Promise<void>;
  log: Logger;
  batchSize?: number;
  /** A retryable failure is retried (backing off up to maxBackoffMs) until the event is this old, then parked. */
  retryHorizonMs?: number;
  /** A failure that is not retryable (a bug, a malformed event) is parked after this many attempts. */
  maxPermanentAttempts?: number;
  maxBackoffMs?: number;
}

interface Waiting { attempts: number; nextAt: number; firstAt: number; roomId: string }

/**
 * Drains the inbox in order, one event at a time. A failing event waits on its own back-off and holds back only
 * the later events of its room (their order matters to the agents there); every other room goes on. Parked events
 * stay in the inbox as 'failed' for admins to see and replay.
 */
export class Dispatcher {
  private readonly o: Required<DispatcherOptions>;
  private wake: (() => void) | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private kicked = false;
  private readonly waiting = new Map<number, Waiting>();

  constructor(opts: DispatcherOptions) {
    this.o = { batchSize: 100, retryHorizonMs: 24 * 3600_000, maxPermanentAttempts: 3, maxBackoffMs: 30_000, ...opts };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Events waiting for a retry (not parked), for status views. */
  retrying(): number {
    return this.waiting.size;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      const progressed = await this.drainOnce();
      if (!progressed && !this.kicked) {
        await new Promise<void>((r) => { this.wake = r; setTimeout(r, this.nextWakeMs()).unref(); });
        this.wake = undefined;
      }
    }
  }

  private nextWakeMs(): number {
    const now = Date.now();
    let next = 1000;
    for (const w of this.waiting.values()) next = Math.min(next, Math.max(10, w.nextAt - now));
    return next;
  }

  /** One pass over the head of the inbox; true when some event was finished or parked. */
  private async drainOnce(): Promise<boolean> {
    const items = this.o.inbox.pending(this.o.batchSize + this.waiting.size);
    const heldRooms = new Set<string>();
    let progressed = false;
    for (const item of items) {
      if (!this.running) break;
      const roomId = item.event.room_id;
      if (heldRooms.has(roomId)) continue;
      const waiting = this.waiting.get(item.seq);
      if (waiting && waiting.nextAt > Date.now()) {
        heldRooms.add(roomId);
        continue;
      }
      try {
        await this.o.processEvent(item);
        this.o.inbox.markDone(item.seq);
        this.waiting.delete(item.seq);
        routerMetrics.eventsProcessed.inc({ outcome: 'routed' });
        progressed = true;
      } catch (err) {
        progressed = this.failed(item, err) || progressed;
        if (this.waiting.has(item.seq)) heldRooms.add(roomId);
      }
    }
    return progressed;
  }

  /** Schedules a retry or parks the event; true when parked. */
  private failed(item: InboxItem, err: unknown): boolean {
    const now = Date.now();
    const message = (err as Error)?.message ?? String(err);
    const retryable = isRetryable(err);
    const w = this.waiting.get(item.seq) ?? { attempts: 0, nextAt: now, firstAt: now, roomId: item.event.room_id };
    w.attempts++;
    const park = retryable ? now - w.firstAt >= this.o.retryHorizonMs : w.attempts >= this.o.maxPermanentAttempts;
    routerMetrics.eventsProcessed.inc({ outcome: park ? 'parked' : 'retry' });
    if (park) {
      this.waiting.delete(item.seq);
      this.o.inbox.markFailed(item.seq, message, 0);
      this.o.log.error({ seq: item.seq, eventId: item.event.event_id, roomId: item.event.room_id, attempts: w.attempts, err: message },
        'event parked: see `parked` in #fleet-admin to replay it');
      return true;
    }
    const backoff = Math.min(this.o.maxBackoffMs, 200 * 2 ** Math.min(w.attempts - 1, 10));
    w.nextAt = now + backoff;
    this.waiting.set(item.seq, w);
    this.o.inbox.markFailed(item.seq, message, Number.MAX_SAFE_INTEGER);
    this.o.log.warn({ seq: item.seq, eventId: item.event.event_id, retryable, attempt: w.attempts, retryInMs: backoff, err: message },
      'event not routed yet; will retry');
    return false;
  }
}
