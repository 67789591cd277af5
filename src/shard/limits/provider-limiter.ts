import PQueue from 'p-queue';
import { componentLogger, type Logger } from '../../log.ts';
import {
  ProviderError, type CompletionRequest, type CompletionResult, type ModelProvider,
} from '../../providers/types.ts';
import { estimateTokens } from '../../providers/usage.ts';
import { shardMetrics } from '../../metrics/metrics.ts';
import { RecentWaits, SlidingWindow, sleep, type WindowEntry } from './window.ts';

export interface RateLimitedProviderOptions {
  /** Requests per window (a minute unless `windowMs` says otherwise). */
  rpm?: number;
  /** Tokens (input + output) per window. */
  tpm?: number;
  /** Calls in flight at once. Default 16. */
  concurrency?: number;
  /** Default 60 000; tests shrink it. */
  windowMs?: number;
  /** Output tokens assumed before a call (capped by its maxTokens); real usage replaces it afterwards. Default 500. */
  outputTokensEstimate?: number;
  /** Times one request is retried after the server throttled it. Default 5. */
  maxThrottleRetries?: number;
  /** Pause when a throttle names no Retry-After; doubles per retry of the same request. Default 2 000. */
  defaultThrottlePauseMs?: number;
  /**
   * A server asking for a longer pause than this fails the requests that would have to wait it out, rather than
   * leaving agents silent for minutes (the provider stays paused as asked). Default 120 000.
   */
  maxPauseMs?: number;
  log?: Logger;
}

export interface ProviderLimiterStats {
  /** Calls waiting for a slot, the rate windows or a pause. */
  queued: number;
  /** Calls in the inner provider now. */
  running: number;
  waitedMsP50: number;
  waitedMsMax: number;
  /** Epoch ms until which the provider is paused after a throttle; absent when not paused. */
  pausedUntil?: number;
  rpmUsed: number;
  tpmUsed: number;
}

/**
 * One per provider instance in a shard, shared by every agent using it: keeps the shard under the vendor's requests
 * and tokens per minute and a cap on calls in flight. When the vendor throttles anyway, the whole provider pauses for
 * as long as it asked — every agent's next call waits, since they would all be refused — and the refused call is
 * retried first when the pause ends.
 */
export class RateLimitedProvider implements ModelProvider {
  readonly id: string;
  readonly model: string;
  readonly inner: ModelProvider;
  readonly #tpm: number | undefined;
  readonly #outputEstimate: number;
  readonly #maxRetries: number;
  readonly #defaultPauseMs: number;
  readonly #maxPauseMs: number;
  readonly #log: Logger;
  /** Slots for calls in flight. */
  readonly #calls: PQueue;
  /** Admits one call at a time, in order: rpm through p-queue's sliding interval, then pause and tokens. */
  readonly #gate: PQueue;
  readonly #requests: SlidingWindow;
  readonly #tokens: SlidingWindow;
  readonly #waits = new RecentWaits();
  #pausedUntil = 0;
  #resumeTimer: ReturnType<typeof setTimeout> | undefined;
  #queued = 0;
  #running = 0;

  constructor(inner: ModelProvider, opts: RateLimitedProviderOptions = {}) {
    this.inner = inner;
    this.id = inner.id;
    this.model = inner.model;
    const windowMs = opts.windowMs ?? 60_000;
    this.#tpm = opts.tpm;
    this.#outputEstimate = opts.outputTokensEstimate ?? 500;
    this.#maxRetries = opts.maxThrottleRetries ?? 5;
    this.#defaultPauseMs = opts.defaultThrottlePauseMs ?? 2_000;
    this.#maxPauseMs = opts.maxPauseMs ?? 120_000;
    this.#log = opts.log ?? componentLogger('limits', { provider: inner.id, model: inner.model });
    this.#calls = new PQueue({ concurrency: opts.concurrency ?? 16 });
    this.#gate = new PQueue({
      concurrency: 1,
      ...(opts.rpm !== undefined ? { interval: windowMs, intervalCap: opts.rpm, strict: true } : {}),
    });
    this.#requests = new SlidingWindow(windowMs);
    this.#tokens = new SlidingWindow(windowMs);
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const enqueuedAt = Date.now();
    const estimate = estimateRequestTokens(req, this.#outputEstimate);
    this.#queued++;
    let admitted = false;
    const admittedNow = (): void => {
      if (admitted) return;
      admitted = true;
      this.#queued--;
    };
    try {
      return await this.#calls.add(async () => {
        for (let attempt = 0; ; attempt++) {
          const reservation = await this.#admit(estimate, attempt > 0, req.signal);
          if (attempt === 0) this.#noteWait(Date.now() - enqueuedAt, req.agentId);
          admittedNow();
          this.#running++;
          try {
            const result = await this.inner.complete(req);
            reservation.weight = result.usage.inputTokens + result.usage.outputTokens;
            return result;
          } catch (err) {
            if (err instanceof ProviderError && err.kind === 'throttled') shardMetrics.providerThrottled.inc({ provider: this.id });
            if (!(err instanceof ProviderError) || err.kind !== 'throttled' || attempt >= this.#maxRetries) throw err;
            // The server refused it, so it did not spend tokens; the retry reserves them again.
            this.#tokens.remove(reservation);
            const pauseMs = err.retryAfterMs ?? this.#defaultPauseMs * 2 ** attempt;
            this.#pause(pauseMs, req.agentId);
            if (pauseMs > this.#maxPauseMs) throw err;
            this.#queued++;
            admitted = false;
          } finally {
            this.#running--;
          }
        }
      }, req.signal ? { signal: req.signal } : {});
    } finally {
      admittedNow();
    }
  }

  stats(): ProviderLimiterStats {
    const now = Date.now();
    return {
      queued: this.#queued,
      running: this.#running,
      waitedMsP50: this.#waits.p50(),
      waitedMsMax: this.#waits.max(),
      ...(this.#pausedUntil > now ? { pausedUntil: this.#pausedUntil } : {}),
      rpmUsed: this.#requests.total(now),
      tpmUsed: this.#tokens.total(now),
    };
  }

  /** Waits for this call's turn at the gate; returns its token reservation, to be corrected with real usage. */
  #admit(estimate: number, isRetry: boolean, signal: AbortSignal | undefined): Promise<WindowEntry> {
    return this.#gate.add(async () => {
      for (;;) {
        const now = Date.now();
        const pausedMs = this.#pausedUntil - now;
        if (pausedMs > this.#maxPauseMs) {
          throw new ProviderError(`${this.id} is paused for ${Math.ceil(pausedMs / 1000)} s after throttling`, {
            kind: 'throttled', provider: this.id, retryable: false, retryAfterMs: pausedMs,
          });
        }
        const tokensMs = this.#tpm === undefined ? 0 : this.#tokens.msUntilFits(now, this.#tpm, estimate);
        const waitMs = Math.max(pausedMs, tokensMs);
        if (waitMs <= 0) {
          this.#requests.add(now);
          return this.#tokens.add(now, estimate);
        }
        await sleep(waitMs, signal);
      }
    }, { priority: isRetry ? 1 : 0, ...(signal ? { signal } : {}) });
  }

  #pause(ms: number, agentId: string | undefined): void {
    const until = Date.now() + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    // A pause too long to sit out is left to #admit, which fails each waiting call at once instead.
    if (ms <= this.#maxPauseMs) {
      this.#gate.pause();
      clearTimeout(this.#resumeTimer);
      this.#resumeTimer = setTimeout(() => this.#gate.start(), ms);
    }
    this.#log.warn({ pauseMs: ms, agentId, queued: this.#queued }, 'provider throttled us; pausing all its calls');
  }

  #noteWait(ms: number, agentId: string | undefined): void {
    this.#waits.add(ms);
    if (ms > 1000) this.#log.info({ waitedMs: ms, agentId, queued: this.#queued }, 'model call waited for provider limits');
  }
}

/** chars/4 over everything sent (messages, tool calls, tool schemas) plus the reply we expect back. */
export function estimateRequestTokens(req: CompletionRequest, outputEstimate: number): number {
  let chars = 0;
  for (const m of req.messages) {
    chars += m.content.length;
    if (m.role === 'assistant' && m.toolCalls) chars += JSON.stringify(m.toolCalls).length;
  }
  if (req.tools?.length) chars += JSON.stringify(req.tools).length;
  return estimateTokens(chars) + Math.min(req.maxTokens ?? outputEstimate, outputEstimate);
}
