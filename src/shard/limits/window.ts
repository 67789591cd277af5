/** One counted event; `weight` may be corrected later (real token usage replacing an estimate). */
export interface WindowEntry { at: number; weight: number }

/**
 * What happened in the last `windowMs`, for "at most N per minute" rules that must also say how long to wait. A
 * sliding window, not fixed minutes, so nothing bursts at a minute boundary.
 */
export class SlidingWindow {
  readonly windowMs: number;
  #entries: WindowEntry[] = [];

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  add(now: number, weight = 1): WindowEntry {
    const entry = { at: now, weight };
    this.#entries.push(entry);
    return entry;
  }

  /** Takes an entry back, e.g. a turn that posted nothing or a request the server refused. */
  remove(entry: WindowEntry): void {
    const i = this.#entries.indexOf(entry);
    if (i >= 0) this.#entries.splice(i, 1);
  }

  total(now: number): number {
    this.#prune(now);
    let sum = 0;
    for (const e of this.#entries) sum += e.weight;
    return sum;
  }

  isEmpty(now: number): boolean {
    this.#prune(now);
    return this.#entries.length === 0;
  }

  /**
   * Milliseconds until `need` more fits under `cap` (0: now). Something bigger than the cap alone fits once the
   * window is empty, so a huge request is slowed, never refused.
   */
  msUntilFits(now: number, cap: number, need = 1): number {
    let total = this.total(now);
    if (total + need <= cap || total === 0) return 0;
    for (const e of this.#entries) {
      total -= e.weight;
      if (total + need <= cap || total <= 0) return e.at + this.windowMs - now;
    }
    return this.windowMs;
  }

  #prune(now: number): void {
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < this.#entries.length && this.#entries[drop]!.at <= cutoff) drop++;
    if (drop > 0) this.#entries.splice(0, drop);
  }
}

/** The last `size` waits, for a median and a maximum in stats without keeping every sample. */
export class RecentWaits {
  readonly #size: number;
  #samples: number[] = [];

  constructor(size = 256) {
    this.#size = size;
  }

  add(ms: number): void {
    this.#samples.push(ms);
    if (this.#samples.length > this.#size) this.#samples.shift();
  }

  p50(): number {
    if (this.#samples.length === 0) return 0;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  }

  max(): number {
    return this.#samples.length === 0 ? 0 : Math.max(...this.#samples);
  }
}

/** setTimeout as a promise that an AbortSignal can cut short (rejecting with the signal's reason). */
export { abortableSleep as sleep } from '../../providers/retry.ts';
