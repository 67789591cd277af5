import pRetry, { AbortError } from 'p-retry';
import type { Logger } from '../log.ts';
import { ProviderError } from './types.ts';

export interface ProviderRetryOptions {
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** First backoff delay; doubles per retry, with jitter of x1..x2. Default 500. */
  minDelayMs?: number;
  /** Cap on the computed backoff (not on a server's Retry-After). Default 20 000. */
  maxDelayMs?: number;
  /**
   * A server asking us to wait longer than this is treated as a hard failure: an agent stuck for minutes is worse
   * than an error it can report. Default 120 000.
   */
  maxRetryAfterMs?: number;
  /**
   * Throttling is not retried here but thrown at once: a shard's RateLimitedProvider pauses every agent's calls to
   * that provider instead of letting each caller hammer it on its own.
   */
  throttledToCaller?: boolean;
  signal?: AbortSignal;
  log?: Logger;
}

/**
 * Runs `fn`, retrying only retryable ProviderErrors. Anything else (bad request, auth, caller abort, bugs) fails on the
 * first attempt with the original error. A server's Retry-After is the minimum wait before the next attempt.
 */
export async function withProviderRetry<T>(fn: (attempt: number) => Promise<T>, opts: ProviderRetryOptions = {}): Promise<T> {
  const { retries = 3, minDelayMs = 500, maxDelayMs = 20_000, maxRetryAfterMs = 120_000, throttledToCaller = false, signal, log } = opts;
  return pRetry(
    async (attempt) => {
      try {
        return await fn(attempt);
      } catch (err) {
        if (err instanceof ProviderError && err.retryable && !(throttledToCaller && err.kind === 'throttled')) throw err;
        // AbortError stops p-retry at once; p-retry unwraps it, so the caller sees `err` itself.
        throw new AbortError(err instanceof Error ? err : new Error(String(err)));
      }
    },
    {
      retries,
      minTimeout: minDelayMs,
      maxTimeout: maxDelayMs,
      factor: 2,
      randomize: true,
      ...(signal ? { signal } : {}),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retryDelay }) => {
        if (retriesLeft <= 0 || !(error instanceof ProviderError)) return;
        const retryAfterMs = error.retryAfterMs ?? 0;
        if (retryAfterMs > maxRetryAfterMs) throw error;
        // p-retry sleeps retryDelay after this callback returns; top it up so the total is at least Retry-After.
        const extraMs = Math.max(0, retryAfterMs - retryDelay);
        log?.warn(
          { kind: error.kind, status: error.status, attempt: attemptNumber, retriesLeft, delayMs: retryDelay + extraMs },
          'model call failed, will retry',
        );
        if (extraMs > 0) await abortableSleep(extraMs, signal);
      },
    },
  );
}

/**
 * Milliseconds a server asked us to wait, from `retry-after-ms` (used by OpenAI-style gateways) or `Retry-After`
 * (delta-seconds or an HTTP date). Undefined when absent or unparseable.
 */
export function retryAfterMsFromHeaders(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const header = headers.get('retry-after');
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** setTimeout as a promise that an AbortSignal can cut short, rejecting with the signal's own reason. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface ProviderCallSettings { retries: number; timeoutMs: number; minRetryDelayMs?: number; maxRetryDelayMs?: number; throttledToCaller?: boolean }

/**
 * One model request the way every provider makes it: attempts retried by withProviderRetry, each attempt bounded by
 * its own timeout and by the caller's signal.
 */
export function callWithRetry<T>(settings: ProviderCallSettings, callerSignal: AbortSignal | undefined, log: Logger,
  attempt: (n: number, signal: AbortSignal, timeout: AbortSignal) => Promise<T>): Promise<T> {
  return withProviderRetry((n) => {
    // The timeout signal is passed on too, so an error can be told apart: our timeout, or the caller giving up.
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    return attempt(n, callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout, timeout);
  }, {
    retries: settings.retries,
    ...(settings.minRetryDelayMs !== undefined ? { minDelayMs: settings.minRetryDelayMs } : {}),
    ...(settings.maxRetryDelayMs !== undefined ? { maxDelayMs: settings.maxRetryDelayMs } : {}),
    throttledToCaller: settings.throttledToCaller ?? false,
    ...(callerSignal ? { signal: callerSignal } : {}),
    log,
  });
}
