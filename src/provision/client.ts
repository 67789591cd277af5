/** A Matrix error in the shape withMatrixRetry reads (statusCode, errcode, retryAfterMs). */
export class MatrixHttpError extends Error {
  readonly statusCode: number;
  readonly errcode: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(method: string, path: string, statusCode: number, body: { errcode?: string; error?: string; retry_after_ms?: number }, retryAfterHeader: string | null) {
    super(`${method} ${path.split('?')[0]}: HTTP ${statusCode} ${body.errcode ?? ''} ${body.error ?? ''}`.trim());
    this.name = 'MatrixHttpError';
    this.statusCode = statusCode;
    this.errcode = body.errcode;
    const headerMs = retryAfterHeader && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) * 1000 : undefined;
    this.retryAfterMs = body.retry_after_ms ?? headerMs;
  }
}

export interface RequestOptions {
  body?: unknown;
  /** Masquerade as this user of the appservice's namespace (the `user_id` query parameter). */
  asUser?: string;
}

/**
 * The few client-server calls provisioning needs, made with the appservice token over plain fetch: thousands of
 * calls, so no per-user Intent objects, membership caches or implicit registrations.
 */
export class AppserviceClient {
  readonly #baseUrl: string;
  readonly #asToken: string;
  readonly #timeoutMs: number;

  constructor(opts: { homeserverUrl: string; asToken: string; timeoutMs?: number }) {
    this.#baseUrl = opts.homeserverUrl.replace(/\/+$/, '');
    this.#asToken = opts.asToken;
    this.#timeoutMs = opts.timeoutMs ?? 120_000;
  }

  async request<T = Record<string, unknown>>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = `${this.#baseUrl}${path}${opts.asUser ? `${path.includes('?') ? '&' : '?'}user_id=${encodeURIComponent(opts.asUser)}` : ''}`;
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${this.#asToken}`, ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { error: text.slice(0, 200) };
    }
    if (!res.ok) throw new MatrixHttpError(method, path, res.status, json, res.headers.get('retry-after'));
    return json as T;
  }
}

export const enc = encodeURIComponent;
