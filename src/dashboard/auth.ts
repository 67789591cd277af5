import { randomBytes } from 'node:crypto';
import type { OrgDirectory } from '../org/directory.ts';

export interface DashboardUser {
  userId: string;
  name: string;
  title: string;
  /** The org's root (the CEO) and config org.admins: may see the admin pages (shards). */
  admin: boolean;
}

export interface DashboardSession {
  /** Also the bearer token scripts send: 32 random bytes, never derived from anything. */
  id: string;
  user: DashboardUser;
  expiresAt: number;
}

/**
 * Sessions live in the web server's memory: a restart of `up` logs everyone out, which is fine for a console that
 * keeps no state of its own. Each has a fixed lifetime from login; an expired one is gone on its next lookup.
 */
export class SessionStore {
  readonly #sessions = new Map<string, DashboardSession>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  create(user: DashboardUser): DashboardSession {
    this.#sweep();
    const session = { id: randomBytes(32).toString('base64url'), user, expiresAt: this.#now() + this.#ttlMs };
    this.#sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined): DashboardSession | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (session && session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  delete(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
  }
}

export type LoginResult = { ok: true; userId: string } | { ok: false; status: number; reason: string };

/**
 * Checks a person's Matrix password with the homeserver: m.login.password, then whoami with the new token (the
 * identity the homeserver vouches for, not the name typed), then logout. The dashboard needs to know who someone is,
 * not to act as them, so it keeps no Matrix token and leaves no device behind.
 */
export async function verifyMatrixPassword(homeserverUrl: string, user: string, password: string, fetchImpl: typeof fetch = fetch): Promise<LoginResult> {
  const api = (path: string) => `${homeserverUrl.replace(/\/$/, '')}/_matrix/client/v3/${path}`;
  let res: Response;
  try {
    res = await fetchImpl(api('login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'm.login.password', identifier: { type: 'm.id.user', user: user.trim() }, password,
        initial_device_display_name: 'Command Center dashboard login check',
      }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    return { ok: false, status: 502, reason: `the homeserver did not answer (${(err as Error).message})` };
  }
  if (res.status === 403 || res.status === 400) return { ok: false, status: 401, reason: 'wrong user name or password' };
  if (res.status === 429) return { ok: false, status: 429, reason: 'too many login attempts; try again in a minute' };
  if (!res.ok) return { ok: false, status: 502, reason: `the homeserver refused the login (HTTP ${res.status})` };
  const { access_token: token } = await res.json() as { access_token: string };
  const auth = { authorization: `Bearer ${token}` };
  try {
    const who = await fetchImpl(api('account/whoami'), { headers: auth, signal: AbortSignal.timeout(10_000) });
    if (!who.ok) return { ok: false, status: 502, reason: `the homeserver did not confirm the login (HTTP ${who.status})` };
    const { user_id: userId } = await who.json() as { user_id: string };
    return { ok: true, userId };
  } finally {
    await fetchImpl(api('logout'), { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
  }
}

export type Admission = { ok: true; user: DashboardUser } | { ok: false; reason: string };

/** Only the org's humans get in: agents are the fleet itself, and strangers on the homeserver are not the company. */
export function admit(org: OrgDirectory, admins: readonly string[], userId: string): Admission {
  const person = org.get(userId);
  if (!person?.human) {
    return { ok: false, reason: person ? `${person.name} is an AI employee; the dashboard is for the company's people` : `${userId} is not in the company directory` };
  }
  const admin = person.reportsTo === null || admins.includes(userId);
  return { ok: true, user: { userId, name: person.name, title: person.title, admin } };
}
