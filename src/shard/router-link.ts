import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.ts';
import { shardMetrics } from '../metrics/metrics.ts';
import { Placement } from '../protocol/placement.ts';
import {
  CLAIMS_PATH, COMPLETIONS_PATH, HEARTBEAT_PATH,
  type ClaimAnswer, type CompletionReport, type HeartbeatAnswer, type ShardAnnouncement,
} from '../protocol/wire.ts';
import type { ShardStore } from './store.ts';
import { deliveryUsage } from '../budget/shard-usage.ts';

export interface RouterLinkOptions {
  routerUrl: string;
  shardId: string;
  /** This shard's own token (protocol.ts shardToken). */
  token: string;
  url: string;
  startedAt: number;
  heartbeatMs: number;
  store: ShardStore;
  log: Logger;
  /** Told when the router says a newer process runs this shard id: this one must stop. */
  onSuperseded: () => void;
  /** Told when the live shard set changes (to drop queued work of agents this shard lost). */
  onPlacement?: (placement: Placement) => void;
}

/** Granted claims are trusted for this much less than the router's ttl: clocks drift, requests take time. */
const CLAIM_SAFETY_MS = 2000;

/**
 * The shard's side of the router protocol: heartbeats (which renew its claims), claims before each turn, and
 * reports of finished work, which are read from the store so none is lost by a crash or a router outage.
 */
export class RouterLink {
  private readonly o: RouterLinkOptions;
  /** Claims held, with the monotonic time until which this shard may act on them. */
  private readonly held = new Map<string, number>();
  /** Claimed deliveries whose agent the router said is over budget (no model call for them). */
  private readonly overBudgetIds = new Set<string>();
  private placement: Placement | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private reporting: Promise<void> | undefined;
  private claimTtlMs = 60_000;

  constructor(opts: RouterLinkOptions) {
    this.o = opts;
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.o.heartbeatMs);
    this.reportSoon();
  }

  /** Whether an agent is this shard's under the last placement the router told (true until it has told any). */
  owns(agentId: string): boolean {
    return !this.placement || this.placement.shardFor(agentId) === this.o.shardId;
  }

  /** Still allowed to act on a claimed delivery (post, join, leave)? */
  holds(deliveryId: string): boolean {
    const until = this.held.get(deliveryId);
    return until !== undefined && performance.now() < until;
  }

  /** Milliseconds left on a claim (0 when lapsed). */
  remainingMs(deliveryId: string): number {
    return Math.max(0, (this.held.get(deliveryId) ?? 0) - performance.now());
  }

  /**
   * Claims a delivery, waiting while the router is unreachable or the agent is busy elsewhere. Resolves with
   * 'granted' or the reason to drop the delivery; rejects only when `signal` aborts.
   */
  async claim(deliveryId: string, signal?: AbortSignal): Promise<'granted' | 'done' | 'moved' | 'superseded'> {
    if (this.holds(deliveryId)) return 'granted';
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      signal?.throwIfAborted();
      const sentAt = performance.now();
      const answer = await this.post<ClaimAnswer>(CLAIMS_PATH, { shardId: this.o.shardId, startedAt: this.o.startedAt, deliveryId }).catch((err: Error) => {
        this.o.log.warn({ err: err.message, deliveryId }, 'router unreachable for a claim; waiting');
        return undefined;
      });
      if (answer?.granted) {
        this.held.set(deliveryId, sentAt + answer.ttlMs - CLAIM_SAFETY_MS);
        if (answer.overBudget) this.overBudgetIds.add(deliveryId);
        else this.overBudgetIds.delete(deliveryId);
        return 'granted';
      }
      if (answer && (answer.reason === 'done' || answer.reason === 'moved' || answer.reason === 'superseded')) {
        if (answer.reason === 'superseded') this.o.onSuperseded();
        return answer.reason;
      }
      // 'busy' (the agent finishes elsewhere first), 'unknown-shard' (router restarted: our next heartbeat fixes it)
      shardMetrics.claimRefusals.inc({ reason: answer?.reason ?? 'unreachable' });
      if (answer?.reason === 'unknown-shard') await this.beat();
      await sleep(wait, undefined, signal ? { signal } : {});
    }
  }

  /** Whether the router's last grant for this delivery said its agent is over budget. */
  overBudget(deliveryId: string): boolean {
    return this.overBudgetIds.has(deliveryId);
  }

  /** The claim is no longer needed (the delivery ended); the router hears it with the completion report. */
  forget(deliveryId: string): void {
    this.held.delete(deliveryId);
    this.overBudgetIds.delete(deliveryId);
  }

  /** Reports finished and released deliveries soon (batched); the store remembers them until the router has them. */
  reportSoon(): void {
    this.reportTimer ??= setTimeout(() => {
      this.reportTimer = undefined;
      void this.report();
    }, 50);
  }

  /** Sends every unreported outcome; resolves true when the router has them all. */
  async report(): Promise<boolean> {
    while (this.reporting) await this.reporting;
    let ok = true;
    this.reporting = (async () => {
      for (let rows = this.o.store.unreported(); rows.length > 0; rows = this.o.store.unreported()) {
        const body: CompletionReport = {
          shardId: this.o.shardId, startedAt: this.o.startedAt,
          ids: rows.filter((r) => r.state !== 'released').map((r) => r.id),
          released: rows.filter((r) => r.state === 'released').map((r) => r.id),
          replies: Object.fromEntries(rows.filter((r) => r.state === 'released' && r.reply !== null).map((r) => [r.id, r.reply!])),
          // Released ones too: a reply paid for here and posted by the next shard was spent here.
          usage: deliveryUsage(this.o.store.db, rows.map((r) => r.id)),
        };
        try {
          await this.post(COMPLETIONS_PATH, body);
        } catch (err) {
          ok = false;
          this.o.log.warn({ err: (err as Error).message, outcomes: rows.length }, 'could not report finished deliveries; will retry');
          this.reportTimer ??= setTimeout(() => { this.reportTimer = undefined; void this.report(); }, 2000);
          return;
        }
        this.o.store.markReported(rows.map((r) => r.id));
      }
    })();
    await this.reporting;
    this.reporting = undefined;
    return ok;
  }

  /** Leaves placement: call after draining and reporting, so nothing this process still does is re-handed. */
  async leave(): Promise<void> {
    this.stop();
    const path = `${HEARTBEAT_PATH}/${encodeURIComponent(this.o.shardId)}?startedAt=${this.o.startedAt}`;
    await fetch(new URL(path, this.o.routerUrl), {
      method: 'DELETE', headers: { authorization: `Bearer ${this.o.token}` }, signal: AbortSignal.timeout(2000),
    }).catch((err: Error) => this.o.log.warn({ err: err.message }, 'could not say goodbye to the router; it will time this shard out'));
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
  }

  private async beat(): Promise<void> {
    const claims = [...this.held.keys()];
    const sentAt = performance.now();
    const announcement: ShardAnnouncement = { shardId: this.o.shardId, url: this.o.url, startedAt: this.o.startedAt, claims };
    try {
      const answer = await this.post<HeartbeatAnswer>(HEARTBEAT_PATH, announcement);
      this.claimTtlMs = answer.claimTtlMs;
      for (const id of claims) if (this.held.has(id)) this.held.set(id, sentAt + this.claimTtlMs - CLAIM_SAFETY_MS);
      const shards = [...answer.shards].sort();
      if (!this.placement || this.placement.shardIds.join() !== shards.join()) {
        this.placement = new Placement(shards);
        this.o.onPlacement?.(this.placement);
      }
    } catch (err) {
      if ((err as { status?: number }).status === 409) {
        this.o.log.error('the router knows a newer process for this shard id; stopping this one');
        this.o.onSuperseded();
        return;
      }
      this.o.log.warn({ err: (err as Error).message }, 'router unreachable for heartbeat');
    }
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.o.routerUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(Math.max(2000, this.o.heartbeatMs * 2)),
    });
    if (!res.ok) throw Object.assign(new Error(`router answered ${res.status}: ${(await res.text()).slice(0, 200)}`), { status: res.status });
    return (await res.json()) as T;
  }
}
