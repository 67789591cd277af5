import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.ts';
import type { Inbox, InboxItem } from './inbox.ts';

export interface DispatcherOptions {
  inbox: Inbox;
  /** Routes and hands over a batch of events; returns the seqs that are finished, throws nothing for partial failures. */
  processBatch: (items: InboxItem[]) => Promise<{ done: number[]; failed: Array<{ seq: number; error: string }> }>;
  log: Logger;
  /** Runs before each batch and on every wake-up (the router re-hands work of shards that died). */
  beforeBatch?: () => Promise<void>;
  batchSize?: number;
  /** After this many failed attempts an event is parked as 'failed' (kept for admins), not retried forever. */
  maxAttempts?: number;
}

/**
 * Drains the inbox in order. Woken when a transaction lands; on failures it backs off (up to 5 s) and retries the same
 * events, so an unreachable shard delays work but never drops it.
 */
export class Dispatcher {
  private readonly opts: Required<DispatcherOptions>;
  private wake: (() => void) | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private kicked = false;

  constructor(opts: DispatcherOptions) {
    this.opts = { batchSize: 100, maxAttempts: 60, beforeBatch: async () => {}, ...opts };
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

  private async run(): Promise<void> {
    let backoffMs = 0;
    while (this.running) {
      this.kicked = false;
      await this.opts.beforeBatch().catch((err: Error) => this.opts.log.warn({ err: err.message }, 'before-batch step failed'));
      const items = this.opts.inbox.pending(this.opts.batchSize);
      if (items.length === 0) {
        if (!this.kicked) await new Promise<void>((r) => { this.wake = r; setTimeout(r, 1000).unref(); });
        this.wake = undefined;
        continue;
      }
      let result;
      try {
        result = await this.opts.processBatch(items);
      } catch (err) {
        result = { done: [], failed: items.map((i) => ({ seq: i.seq, error: (err as Error).message })) };
      }
      for (const seq of result.done) this.opts.inbox.markDone(seq);
      for (const f of result.failed) this.opts.inbox.markFailed(f.seq, f.error, this.opts.maxAttempts);
      if (result.failed.length > 0) {
        backoffMs = Math.min(5000, backoffMs === 0 ? 100 : backoffMs * 2);
        this.opts.log.warn({ failed: result.failed.length, retryInMs: backoffMs, error: result.failed[0]!.error }, 'events not handed over; will retry');
        await sleep(backoffMs);
      } else {
        backoffMs = 0;
      }
    }
  }
}
