import { createHmac } from 'node:crypto';

export interface RegisterResult { userId: string; created: boolean }

/**
 * Creates a user through Synapse's shared-secret admin API (nonce + HMAC-SHA1), which works with registration
 * closed. Idempotent: an existing user answers `created: false` and keeps its old password.
 */
export async function registerWithSharedSecret(opts: {
  homeserverUrl: string;
  serverName: string;
  sharedSecret: string;
  localpart: string;
  password: string;
  admin?: boolean;
  /** Set at creation ("Morgan Blake" rather than the bare localpart in clients); not part of the MAC. */
  displayName?: string;
}): Promise<RegisterResult> {
  const endpoint = `${opts.homeserverUrl.replace(/\/$/, '')}/_synapse/admin/v1/register`;
  const userId = `@${opts.localpart}:${opts.serverName}`;
  const nonceRes = await fetch(endpoint, { signal: AbortSignal.timeout(30_000) });
  if (!nonceRes.ok) throw new Error(`shared-secret registration unavailable at ${endpoint}: HTTP ${nonceRes.status}`);
  const { nonce } = (await nonceRes.json()) as { nonce: string };
  const admin = opts.admin ?? false;
  const mac = createHmac('sha1', opts.sharedSecret)
    .update([nonce, opts.localpart, opts.password, admin ? 'admin' : 'notadmin'].join('\0'))
    .digest('hex');
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, username: opts.localpart, password: opts.password, admin, mac,
      ...(opts.displayName ? { displayname: opts.displayName } : {}) }),
    signal: AbortSignal.timeout(30_000),
  });
  if (res.ok) return { userId, created: true };
  const body = (await res.json().catch(() => ({}))) as { errcode?: string; error?: string };
  if (body.errcode === 'M_USER_IN_USE') return { userId, created: false };
  throw new Error(`registering ${userId} failed: HTTP ${res.status} ${body.errcode ?? ''} ${body.error ?? ''}`.trim());
}
