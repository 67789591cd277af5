import type { Logger } from '../log.ts';

const EXPLAIN: Record<string, string> = {
  M_URL_NOT_SET: 'the registration the homeserver loaded has no url: set it to the router url and restart the homeserver',
  M_CONNECTION_FAILED: 'the homeserver cannot connect to the router at the registration url: check router.url and the registration url',
  M_CONNECTION_TIMEOUT: 'the homeserver timed out reaching the router at the registration url',
  M_BAD_STATUS: 'the router answered the homeserver with an error: the hs_token the homeserver has may differ from ours',
  M_FORBIDDEN: 'the homeserver does not accept our as_token for this appservice id: the homeserver has a different registration loaded',
  M_UNKNOWN_TOKEN: 'the homeserver does not know our as_token: register the appservice with it (see README) and restart it',
};

export interface PingResult { ok: boolean; durationMs?: number; errcode?: string; explanation?: string }

/**
 * Asks the homeserver to ping us (MSC2659, spec v1.7). A broken link (wrong url, wrong token, homeserver that never
 * loaded the registration) shows up at start-up with a clear reason instead of as silence when the first user writes.
 */
export async function pingHomeserver(opts: { homeserverUrl: string; appserviceId: string; asToken: string; log: Logger }): Promise<PingResult> {
  const url = `${opts.homeserverUrl.replace(/\/$/, '')}/_matrix/client/v1/appservice/${encodeURIComponent(opts.appserviceId)}/ping`;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.asToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ transaction_id: `fleet-start-${Date.now()}` }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json().catch(() => ({}))) as { duration_ms?: number; errcode?: string; error?: string };
    if (res.ok) {
      opts.log.info({ durationMs: body.duration_ms }, 'homeserver ↔ router link verified by ping');
      return { ok: true, durationMs: body.duration_ms };
    }
    if (res.status === 404 || body.errcode === 'M_UNRECOGNIZED') {
      opts.log.warn('homeserver does not support the appservice ping (spec v1.7); link not verified');
      return { ok: false, errcode: 'M_UNRECOGNIZED', explanation: 'ping not supported by this homeserver' };
    }
    const explanation = EXPLAIN[body.errcode ?? ''] ?? body.error ?? `HTTP ${res.status}`;
    opts.log.error({ errcode: body.errcode, status: res.status, detail: body.error }, `homeserver ↔ router link broken: ${explanation}`);
    return { ok: false, errcode: body.errcode, explanation };
  } catch (err) {
    const explanation = `homeserver at ${opts.homeserverUrl} unreachable: ${(err as Error).message}`;
    opts.log.error(explanation);
    return { ok: false, explanation };
  }
}
