/**
 * Whether a failed homeserver call is worth another try later. One classifier for every caller (notices, admin
 * answers, deliveries), so "give up" and "wait and retry" mean the same everywhere.
 *
 * Retryable: rate limits (429), server errors (5xx), and failures with no HTTP answer at all (connection refused or
 * reset, DNS, timeouts): the homeserver may be back later. Not retryable: any other 4xx — M_FORBIDDEN (e.g. the
 * sender is not in the room), M_NOT_FOUND, M_UNKNOWN_TOKEN, bad JSON…: the same request will fail the same way.
 */
export function isRetryable(err: unknown): boolean {
  const status = httpStatusOf(err);
  if (status === undefined) return true;
  return status === 429 || status >= 500;
}

/** The HTTP status of an error from the bot-sdk (MatrixError, or a raw response), our clients, or a wrapper. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; status?: unknown; httpStatus?: unknown; cause?: unknown };
  for (const v of [e.statusCode, e.httpStatus, e.status]) if (typeof v === 'number' && v >= 100 && v < 600) return v;
  return e.cause !== undefined && e.cause !== err ? httpStatusOf(e.cause) : undefined;
}

/** The Matrix errcode of an error, when it carries one (bot-sdk MatrixError, MatrixHttpError, or a response body). */
export function errcodeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { errcode?: unknown; body?: { errcode?: unknown } };
  if (typeof e.errcode === 'string') return e.errcode;
  return typeof e.body?.errcode === 'string' ? e.body.errcode : undefined;
}

/** A short description of a failure for logs and admin views: status, errcode and message, never a body dump. */
export function describeError(err: unknown): string {
  const status = httpStatusOf(err);
  const errcode = errcodeOf(err);
  const e = err as { message?: unknown; error?: unknown };
  // The bot-sdk's MatrixError has an empty message and the homeserver's text in `error`.
  const message = typeof e?.message === 'string' && e.message ? e.message : typeof e?.error === 'string' ? e.error : String(err);
  return [status, errcode, message].filter((p) => p !== undefined && p !== '').join(' ');
}
