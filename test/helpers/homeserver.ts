import { inject } from 'vitest';
import { registerWithSharedSecret, type RegisterResult } from '../../src/homeserver/shared-secret-register.ts';
import { FRONT_CONTROL_PATH } from './appservice-front.ts';

/** What the integration global setup hands to test files (workers) about the shared test Synapse. */
export interface ProvidedHomeserver {
  url: string;
  serverName: string;
  registration: { id: string; asToken: string; hsToken: string; senderLocalpart: string; url: string };
  frontUrl: string;
  sharedSecret: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    fleetHomeserver: ProvidedHomeserver;
  }
}

export interface TestHomeserver {
  url: string;
  serverName: string;
  registration: ProvidedHomeserver['registration'];
  /** The registered appservice URL: a front that forwards to whatever backend is attached. */
  frontUrl: string;
  /** Routes appservice traffic (transactions, queries, pings) to `url`, e.g. the router under test. */
  attachBackend(url: string): Promise<void>;
  /** Until the next attach, the front holds the homeserver's requests instead of failing them. */
  detachBackend(): Promise<void>;
  /**
   * Idempotent, and the user can log in with `password` afterwards: an existing user (another suite's human, or an
   * agent the appservice made, with no password) gets it set through the admin API.
   */
  registerUser(localpart: string, password: string): Promise<RegisterResult>;
}

/** The test Synapse started by test/integration/global-setup.ts (integration project only). */
export function testHomeserver(): TestHomeserver {
  const hs = inject('fleetHomeserver');
  if (!hs) throw new Error('no test homeserver: run this file in the vitest "integration" project');
  const setBackend = async (url: string | null) => {
    const res = await fetch(`${hs.frontUrl}${FRONT_CONTROL_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url }),
    });
    if (!res.ok) throw new Error(`appservice front refused backend ${url}: HTTP ${res.status} ${await res.text()}`);
  };
  return {
    url: hs.url,
    serverName: hs.serverName,
    registration: hs.registration,
    frontUrl: hs.frontUrl,
    attachBackend: (url) => setBackend(url),
    detachBackend: () => setBackend(null),
    async registerUser(localpart, password) {
      const result = await registerWithSharedSecret({ homeserverUrl: hs.url, serverName: hs.serverName, sharedSecret: hs.sharedSecret, localpart, password });
      if (!result.created) await setPassword(hs, result.userId, password);
      return result;
    },
  };
}

const ADMIN = { localpart: 'fleet.test.admin', password: 'fleet-test-admin-password-1' };
let adminToken: Promise<string> | undefined;

/** Sets a user's password as the test homeserver's own admin (made once per worker), keeping their sessions. */
async function setPassword(hs: ProvidedHomeserver, userId: string, password: string): Promise<void> {
  adminToken ??= (async () => {
    await registerWithSharedSecret({ homeserverUrl: hs.url, serverName: hs.serverName, sharedSecret: hs.sharedSecret, ...ADMIN, admin: true });
    const res = await fetch(`${hs.url}/_matrix/client/v3/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: ADMIN.localpart }, password: ADMIN.password }) });
    if (!res.ok) throw new Error(`test admin login failed: HTTP ${res.status}`);
    return ((await res.json()) as { access_token: string }).access_token;
  })();
  const token = await adminToken;
  const res = await fetch(`${hs.url}/_synapse/admin/v2/users/${encodeURIComponent(userId)}`, {
    method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ password, logout_devices: false }),
  });
  if (!res.ok) throw new Error(`setting the password of ${userId} failed: HTTP ${res.status} ${await res.text()}`);
}
