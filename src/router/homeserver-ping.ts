import type { Logger } from '../log.ts';

const EXPLAIN: Record<string, string> = {
  M_URL_NOT_SET: 'the registration the homeserver loaded has no url: set it to the router url and restart the homeserver',
  M_CONNECTION_FAILED: 'the homeserver cannot connect to the router at the registration url: check router.url and the registration url',
  M_CONNECTION_TIMEOUT: 'the homeserver timed out reaching the router at the registration url',
  M_BAD_STATUS: 'the router answered the homeserver with an error: the hs_token the homeserver has may differ from ours',
  M_FORBIDDEN: 'the homeserver does not accept our as_token for this appservice id: the homeserver has a different registration loaded',
  M_UNKNOWN_TOKEN: 'the homeserver does not know our as_token: register the appservice with it (see README) and restart it',
};

export interface PingResult { ok: boolean; durationMs?: number; errcode?: string; explanation?: string; attempts?: number }

export interface PingOptions {
  homeserverUrl: string;
  appserviceId: string;
  asToken: string;
  log: Logger;
  /** Tries before the link is called broken. Default 5. */
  attempts?: number;
  /** Wait before the second try; doubles after each. Default 1000 (1+2+4+8 s: ~15 s in all). */
  firstRetryMs?: number;
}

/**
 * Failures that fix themselves within seconds of a start: the homeserver is not up yet, or still backs off from
 * the router it could not reach while it was down (Synapse marks an appservice down and retries on a timer).
 * A wrong token or url does not heal by waiting, and is reported at once.
 */
const TRANSIENT = new Set([undefined, 'M_CONNECTION_FAILED', 'M_CONNECTION_TIMEOUT', 'M_UNKNOWN']);

/**
 * Asks the homeserver to ping us (MSC2659, spec v1.7). A broken link (wrong url, wrong token, homeserver that never
 * loaded the registration) shows up at start-up with a clear reason instead of as silence when the first user writes.
 * Right after a router restart the homeserver may not reach us for a few seconds, so a transient failure is tried
 * again with back-off before the link is called broken.
 */
export async function pingHomeserver(opts: PingOptions): Promise<PingResult> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  let wait = opts.firstRetryMs ?? 1000;
  for (let attempt = 1; ; attempt++, wait *= 2) {
    const result = await pingOnce(opts);
    const last = attempt >= attempts;
    if (result.ok || result.errcode === 'M_UNRECOGNIZED' || !TRANSIENT.has(result.errcode) || last) {
      report(opts, result, attempt);
      return { ...result, attempts: attempt };
    }
    opts.log.info({ attempt, retryInMs: wait, errcode: result.errcode }, `homeserver ping failed (${result.explanation}); trying again`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

function report(opts: PingOptions, r: PingResult, attempts: number): void {
  if (r.ok) opts.log.info({ durationMs: r.durationMs, attempts }, 'homeserver ↔ router link verified by ping');
  else if (r.errcode === 'M_UNRECOGNIZED') opts.log.warn('homeserver does not support the appservice ping (spec v1.7); link not verified');
  else opts.log.error({ errcode: r.errcode, attempts }, `homeserver ↔ router link broken: ${r.explanation}`);
}

async function pingOnce(opts: PingOptions): Promise<PingResult> {
  const url = `${opts.homeserverUrl.replace(/\/$/, '')}/_matrix/client/v1/appservice/${encodeURIComponent(opts.appserviceId)}/ping`;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.asToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ transaction_id: `fleet-start-${Date.now()}` }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json().catch(() => ({}))) as { duration_ms?: number; errcode?: string; error?: string };
    if (res.ok) return { ok: true, ...(body.duration_ms !== undefined ? { durationMs: body.duration_ms } : {}) };
    if (res.status === 404 || body.errcode === 'M_UNRECOGNIZED') {
      return { ok: false, errcode: 'M_UNRECOGNIZED', explanation: 'ping not supported by this homeserver' };
    }
    const errcode = body.errcode ?? (res.status >= 500 ? 'M_UNKNOWN' : `HTTP_${res.status}`);
    return { ok: false, errcode, explanation: EXPLAIN[errcode] ?? body.error ?? `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, explanation: `homeserver at ${opts.homeserverUrl} unreachable: ${(err as Error).message}` };
  }
}

/**
 * Pings the homeserver every `everyMs` after start-up. Synapse backs off from an appservice it could not reach
 * (2, 4, … up to 512 s between retries) and a successful ping makes it retry at once, so without this a transaction
 * that failed just after a router restart — after its start-up ping — waits out the back-off (seen: 265 s in the
 * long suite's router-kill phase). Logs only changes of the link's state; `onBack` runs when a failed link works again.
 */
export function keepLinkAlive(opts: PingOptions & { everyMs: number; onBack?: () => void }): () => void {
  let ok = true;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void pingOnce(opts).then((r) => {
      if (r.ok !== ok) {
        if (r.ok) {
          opts.log.info('homeserver ↔ router link back (ping)');
          opts.onBack?.();
        }
        else opts.log.warn({ errcode: r.errcode }, `homeserver ↔ router ping failed: ${r.explanation}`);
      }
      ok = r.ok;
    }).finally(() => { running = false; });
  }, opts.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
