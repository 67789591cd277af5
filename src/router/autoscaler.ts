/**
 * The autoscaling policy (config `shards.autoscale`, off by default): the router sets the shard count from the load
 * it already sees, through the same scale function as `./fleet scale` (ShardDriver: local processes or ECS), so
 * placement, claims and draining stay the router's alone.
 *
 * Each tick turns one load sample into a recommended count; the count moves only when the recommendation held for a
 * whole window (up: `upSustainMs`, short; down: `downSustainMs`, long) and the last change is older than the
 * cooldown. Up jumps straight to what the load needs; down steps one shard at a time. Flapping input therefore
 * gives a steady output: a window's minimum (up) or maximum (down) of a flapping signal does not move.
 */
import { z } from 'zod';
import type { Logger } from '../log.ts';

export const autoscaleSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Bounds of the count the autoscaler sets (`./fleet scale` by hand is not bounded by them). */
  min: z.number().int().min(1).max(1000).default(1),
  max: z.number().int().min(1).max(1000).default(8),
  /** How often the load is sampled (each sample reads every shard's status). */
  intervalMs: z.number().int().min(100).default(15_000),
  /** Agents held in memory per shard: the memory signal (warm agents cost RAM, hibernated ones only disk). */
  targetWarmAgentsPerShard: z.number().int().min(1).default(250),
  /** Claimed deliveries (turns running or waiting for a slot) per shard: the CPU and slot signal. */
  targetTurnsInFlightPerShard: z.number().int().min(1).default(24),
  /** Work handed to a shard and not started for longer than this asks for one shard more whatever the rest says. */
  maxQueueAgeMs: z.number().int().min(0).default(30_000),
  /** Pressure must hold this long before shards are added. */
  upSustainMs: z.number().int().min(0).default(30_000),
  /** Slack must hold this long before a shard is removed. */
  downSustainMs: z.number().int().min(0).default(600_000),
  /** After any change (the autoscaler's or an operator's), no scale-up for this long: new shards need to join. */
  upCooldownMs: z.number().int().min(0).default(60_000),
  /** After any change, no scale-down for this long: moved agents go cold once, and the figures settle. */
  downCooldownMs: z.number().int().min(0).default(300_000),
}).refine((a) => a.min <= a.max, { message: 'shards.autoscale.min must not exceed shards.autoscale.max', path: ['min'] });

export type AutoscaleConfig = z.output<typeof autoscaleSchema>;

/** What the router sees of the load at one moment (autoscale-load.ts). */
export interface LoadSample {
  /** Shards heartbeating now. */
  liveShards: number;
  /** Shards an operator is draining: no scale-down while a drain is under way. */
  drainingShards: number;
  /** Agents warm on all shards; undefined when some shard's status did not answer (then nothing scales down). */
  warmAgents: number | undefined;
  /** Deliveries under a live claim. */
  turnsInFlight: number;
  /** How long the oldest delivery handed to a live shard has waited without being started (0: none waits). */
  queueAgeMs: number;
  /**
   * Some shard's model provider is paused after a 429: turns wait for the provider, not for a shard, and more shards
   * would only add callers to a provider already refusing (its limits are per shard). Turns then ask for no more.
   */
  providerThrottled?: boolean;
}

export interface AutoscaleDecision {
  at: number;
  from: number;
  to: number;
  reason: string;
  /** Set when the driver refused; the count stays `from` and the change is tried again after the cooldown. */
  error?: string;
}

export interface AutoscalerStatus {
  enabled: true;
  min: number;
  max: number;
  /** The count last set (by the autoscaler or by hand); undefined until the first shard has heartbeated. */
  current: number | undefined;
  /** What the last sample alone would ask for, and why. */
  recommended: number | undefined;
  why: string;
  last: AutoscaleDecision | undefined;
  recent: AutoscaleDecision[];
}

export interface AutoscalerOptions {
  config: AutoscaleConfig;
  load: () => Promise<LoadSample>;
  scale: (count: number) => Promise<void>;
  log: Logger;
  now?: () => number;
  /** Told of every decision (metrics). */
  onDecision?: (d: AutoscaleDecision) => void;
}

interface Recommendation { count: number; why: string; partial: boolean }

const RECENT = 10;

/** Recommended count for one sample, with the signal that decided it. */
export function recommend(c: AutoscaleConfig, s: LoadSample, current: number): Recommendation {
  const byTurns = s.providerThrottled ? Math.min(current, Math.ceil(s.turnsInFlight / c.targetTurnsInFlightPerShard))
    : Math.ceil(s.turnsInFlight / c.targetTurnsInFlightPerShard);
  const byWarm = s.warmAgents === undefined ? 0 : Math.ceil(s.warmAgents / c.targetWarmAgentsPerShard);
  let count = Math.max(byTurns, byWarm);
  const why = [`${s.turnsInFlight} turns in flight${s.providerThrottled ? ' (model provider throttled)' : ''} → ${byTurns}`, s.warmAgents === undefined ? 'warm agents unknown' : `${s.warmAgents} warm → ${byWarm}`];
  if (c.maxQueueAgeMs > 0 && s.queueAgeMs > c.maxQueueAgeMs && !s.providerThrottled) {
    count = Math.max(count, current + 1);
    why.push(`work waiting ${Math.round(s.queueAgeMs / 1000)} s > ${Math.round(c.maxQueueAgeMs / 1000)} s → ${current + 1}`);
  }
  return { count: Math.min(c.max, Math.max(c.min, count)), why: why.join(', '), partial: s.warmAgents === undefined };
}

export class Autoscaler {
  private readonly o: AutoscalerOptions;
  private readonly now: () => number;
  private current: number | undefined;
  private lastChangeAt = Number.NEGATIVE_INFINITY;
  /** Samples since the last change; reset by every change, so each step needs its own sustained evidence. */
  private history: Array<{ at: number; rec: Recommendation }> = [];
  private observingSince: number | undefined;
  private recent: AutoscaleDecision[] = [];
  private latest: Recommendation | undefined;
  private busy = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: AutoscalerOptions) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.timer ??= setInterval(() => { void this.tick(); }, this.o.config.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** An operator set the count (`scale`): it holds for the cooldowns before the autoscaler moves it again. */
  noteManualScale(count: number): void {
    this.changed(count, this.now());
  }

  /** One sample and, if the windows and cooldowns allow it, one change. Returns the change made, if any. */
  async tick(): Promise<AutoscaleDecision | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    try {
      return await this.step();
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'autoscaler could not read the load; no change');
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  status(): AutoscalerStatus {
    const { min, max } = this.o.config;
    return { enabled: true, min, max, current: this.current, recommended: this.latest?.count, why: this.latest?.why ?? 'no sample yet',
      last: this.recent.at(-1), recent: [...this.recent] };
  }

  private async step(): Promise<AutoscaleDecision | undefined> {
    const sample = await this.o.load();
    const at = this.now();
    // Until a shard has heartbeated the count running is not known (router start-up, tasks still launching).
    if (this.current === undefined) {
      if (sample.liveShards === 0) return undefined;
      this.changed(sample.liveShards, Number.NEGATIVE_INFINITY);
    }
    const current = this.current!;
    const rec = recommend(this.o.config, sample, current);
    this.latest = rec;
    this.observingSince ??= at;
    this.history.push({ at, rec });
    const c = this.o.config;
    this.history = this.history.filter((h) => h.at >= at - Math.max(c.upSustainMs, c.downSustainMs));

    const up = this.sustained(at, c.upSustainMs, (h) => h.rec.count, Math.min);
    if (up !== undefined && up > current && at - this.lastChangeAt >= c.upCooldownMs) {
      return this.apply(current, up, at, `sustained pressure: ${rec.why}`);
    }
    // A sample with a shard's status missing might hide load: it votes for the current count, not fewer.
    const down = this.sustained(at, c.downSustainMs, (h) => h.rec.partial ? Math.max(h.rec.count, current) : h.rec.count, Math.max);
    if (down !== undefined && down < current && sample.drainingShards === 0 && at - this.lastChangeAt >= c.downCooldownMs) {
      return this.apply(current, current - 1, at, `sustained slack: ${rec.why}`);
    }
    return undefined;
  }

  /** The window's extreme of the recommendations, once they have been watched for the whole window. */
  private sustained(at: number, windowMs: number, pick: (h: { rec: Recommendation }) => number, extreme: (...n: number[]) => number): number | undefined {
    if (this.observingSince === undefined || at - this.observingSince < windowMs) return undefined;
    const inWindow = this.history.filter((h) => h.at >= at - windowMs);
    return inWindow.length === 0 ? undefined : extreme(...inWindow.map(pick));
  }

  private async apply(from: number, to: number, at: number, reason: string): Promise<AutoscaleDecision> {
    const decision: AutoscaleDecision = { at, from, to, reason };
    try {
      await this.o.scale(to);
      this.changed(to, at);
      this.o.log.info({ from, to, reason }, 'autoscaler changed the shard count');
    } catch (err) {
      decision.error = (err as Error).message;
      // Not retried every tick: the driver gets the cooldown to recover (ECS keeps reconciling toward `to` anyway).
      this.lastChangeAt = at;
      this.o.log.warn({ from, to, err: decision.error }, 'autoscaler could not change the shard count; will try again after the cooldown');
    }
    this.recent = [...this.recent, decision].slice(-RECENT);
    this.o.onDecision?.(decision);
    return decision;
  }

  private changed(count: number, at: number): void {
    this.current = count;
    this.lastChangeAt = at;
    this.history = [];
    this.observingSince = undefined;
  }
}

/** One line for #fleet-admin `status` and `shards`. */
export function describeAutoscaler(s: AutoscalerStatus, ago: (at: number) => string): string {
  const wanted = s.current === undefined ? 'waiting for a first shard' : `${s.current} shard(s) set`;
  const asks = s.recommended === undefined ? '' : `; the load asks for ${s.recommended} (${s.why})`;
  const last = s.last === undefined ? ''
    : s.last.error ? ` Last change failed ${ago(s.last.at)} (${s.last.from} → ${s.last.to}): ${s.last.error}.`
    : ` Last change ${ago(s.last.at)}: ${s.last.from} → ${s.last.to}.`;
  return `Autoscale: on, ${s.min}–${s.max} shards, ${wanted}${asks}.${last}`;
}
