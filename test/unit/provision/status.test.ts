import { describe, expect, it } from 'vitest';
import { dashboardApp } from '../../../src/dashboard/app.ts';
import { loadOrg } from '../../../src/org/load.ts';
import { describeProvisioning, provisioningStatus, trackProvisioning } from '../../../src/provision/status.ts';
import { StubFleetView } from '../dashboard/stub-view.ts';

const DOMAIN = 'anycompany.corp';
const HS = 'http://hs.test';

/** A homeserver that admits the CEO with one password (the dashboard checks it, then logs the token out). */
const fetchImpl = (async (input: string | URL | Request) => {
  const path = String(input).slice(`${HS}/_matrix/client/v3/`.length);
  if (path === 'login') return Response.json({ access_token: 't', user_id: `@morgan.blake:${DOMAIN}` });
  if (path === 'account/whoami') return Response.json({ user_id: `@morgan.blake:${DOMAIN}` });
  return Response.json({});
}) as typeof fetch;

describe('provisioning status', () => {
  it('tracks a run from start to end and says where it stands', () => {
    let clock = 1_000_000;
    const t = trackProvisioning(() => clock);
    t.onProgress({ done: 250, total: 1000, step: 'join' });
    clock += 12_000;
    expect(describeProvisioning(provisioningStatus(), clock)).toBe('provisioning in the background: 250/1000 steps (25 %), last: join, 12 s');
    t.finished('1000 users, 1193 joins', false);
    expect(provisioningStatus()).toMatchObject({ state: 'done', done: 250, total: 1000, summary: '1000 users, 1193 joins' });
    expect(describeProvisioning(provisioningStatus(), clock + 99_000)).toBe('provisioning finished in 12 s: 1000 users, 1193 joins');
  });

  it('shows on the dashboard overview and at /dashboard/api/provisioning while it runs', async () => {
    const org = loadOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } });
    const app = dashboardApp({ org, view: new StubFleetView(org), admins: [], homeserverUrl: HS, sessionTtlMs: 3_600_000, fetch: fetchImpl });
    const login = await app.request('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'morgan.blake', password: 'pw' }) });
    const { token } = await login.json() as { token: string };
    const auth = { headers: { authorization: `Bearer ${token}` } };
    const t = trackProvisioning();
    t.onProgress({ done: 10, total: 40, step: 'register' });
    const api = await (await app.request('/dashboard/api/provisioning', auth)).json() as { state: string; done: number; total: number };
    expect(api).toMatchObject({ state: 'running', done: 10, total: 40 });
    expect(await (await app.request('/dashboard/', auth)).text()).toContain('provisioning in the background: 10/40 steps (25 %), last: register');
    t.finished('40 users', false);
    expect(await (await app.request('/dashboard/', auth)).text()).toMatch(/provisioning finished in \d+ s: 40 users/);
    expect((await app.request('/dashboard/api/provisioning')).status).toBe(401);
  });
});
