import { setTimeout as sleep } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';

interface MatrixLikeError { statusCode?: number; errcode?: string; retryAfterMs?: number; code?: string }

/** Rate limits, server errors and dropped connections are worth another try; other 4xx are our mistake. */
export function isRetryableMatrixError(err: unknown): boolean {
  const e = err as MatrixLikeError;
  if (typeof e?.statusCode === 'number') return e.statusCode === 429 || e.statusCode >= 500;
  return true; // no HTTP status: network failure or timeout
}

/**
 * Retries a homeserver call with exponential backoff, waiting at least the retry_after_ms the homeserver asked for
 * (the bot-sdk never retries a 429 by itself).
 */
export async function withMatrixRetry<T>(fn: () => Promise<T>, opts: { retries?: number; signal?: AbortSignal } = {}): Promise<T> {
  return pRetry(async () => {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryableMatrixError(err)) throw new AbortError(err as Error);
      throw err;
    }
  }, {
    retries: opts.retries ?? 6,
    minTimeout: 200,
    maxTimeout: 10_000,
    randomize: true,
    signal: opts.signal,
    onFailedAttempt: async ({ error }) => {
      const wait = (error as MatrixLikeError).retryAfterMs;
      if (wait && wait > 0) await sleep(Math.min(wait, 60_000));
    },
  });
}
