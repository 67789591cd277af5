import { httpStatusOf } from '../matrix/errors.ts';

/**
 * Failures of the router's own work are sorted into two kinds. Retryable: the world is not ready (homeserver down,
 * membership unreadable) and waiting fixes it. Permanent: retrying the same input fails the same way (a bug, a
 * malformed event); a few attempts, then the event is parked for a person to look at.
 */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
}

/**
 * Unlike a homeserver call (matrix/errors.ts, where no HTTP answer means "try later"), a routing failure without a
 * status is taken as a bug in the router's own code: permanent.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof RetryableError) return true;
  const flagged = (err as { retryable?: unknown } | null)?.retryable;
  if (typeof flagged === 'boolean') return flagged;
  const status = httpStatusOf(err);
  return status !== undefined && (status === 429 || status >= 500);
}
