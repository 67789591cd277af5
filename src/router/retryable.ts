/**
 * Failures of the router's own work are sorted into two kinds. Retryable: the world is not ready (homeserver down,
 * membership unreadable) and waiting fixes it. Permanent: retrying the same input fails the same way (a bug, a
 * malformed event); a few attempts, then the event is parked for a person to look at.
 */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
}

interface HttpLikeError { statusCode?: number; status?: number; errcode?: string; retryable?: boolean }

export function isRetryable(err: unknown): boolean {
  if (err instanceof RetryableError) return true;
  const e = err as HttpLikeError;
  if (typeof e?.retryable === 'boolean') return e.retryable;
  const status = e?.statusCode ?? e?.status;
  if (typeof status === 'number') return status === 429 || status >= 500;
  return false;
}
