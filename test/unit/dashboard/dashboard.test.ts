import { beforeEach, describe, expect, it } from 'vitest';
import { dashboardApp, SESSION_COOKIE } from '../../../src/dashboard/app.ts';
import { loadOrg } from '../../../src/org/load.ts';
import { StubFleetView } from './stub-view.ts';

const DOMAIN = 'anycompany.corp';
const HS = 'http://hs.test';

/** The generated company with one more human (an employee marked human) and one configured admin. */
function company() {
  const base = loadOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } });
  const [agent, humanEmployee, adminEmployee] = [base.agents()[10]!, base.agents()[20]!, base.agents()[30]!];
  const org = loadOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' }, humans: [humanEmployee.matrixId, adminEmployee.matrixId] });
  return { org, ceo: org.all().find((p) => p.reportsTo === null)!, agent: org.get(agent.matrixId)!, human: org.get(humanEmployee.matrixId)!, admin: org.get(adminEmployee.matrixId)! };
}

/** A homeserver that knows a password per user; records whoami and logout calls. */
function fakeHomeserver(accounts: Record<string, { password: string; userId: string }>) {
  const calls: string[] = [];
  const tokens = new Map<string, string>();
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const path = url.slice(`${HS}/_matrix/client/v3/`.length);
    calls.push(path);
    const token = new Headers(init?.headers).get('authorization')?.replace('Bearer ', '');
    if (path === 'login') {
      const body = JSON.parse(String(init?.body)) as { identifier: { user: string }; password: string };
      const account = accounts[body.identifier.user];
      if (!account || account.password !== body.password) return Response.json({ errcode: 'M_FORBIDDEN' }, { status: 403 });
      const t = `tok-${tokens.size}`;
      tokens.set(t, account.userId);
      return Response.json({ access_token: t, user_id: account.userId });
    }
    if (path === 'account/whoami') return Response.json({ user_id: tokens.get(token ?? '') });
    if (path === 'logout') {
      tokens.delete(token ?? '');
      return Response.json({});
    }
    return new Response('not found', { status: 404 });
  }) as typeof fetch;
  return { fetchImpl, calls, tokens };
}

describe('dashboard sessions and access', () => {
  const c = company();
  let view: StubFleetView;
  let clock: number;
  let hs: ReturnType<typeof fakeHomeserver>;
  let app: ReturnType<typeof dashboardApp>;

  beforeEach(() => {
    view = new StubFleetView(c.org);
    clock = 1_800_000_000_000;
    hs = fakeHomeserver({
      'morgan.blake': { password: 'ceo-pw', userId: c.ceo.matrixId },
      [c.agent.localpart]: { password: 'agent-pw', userId: c.agent.matrixId },
      [c.human.localpart]: { password: 'human-pw', userId: c.human.matrixId },
      [c.admin.localpart]: { password: 'admin-pw', userId: c.admin.matrixId },
      stranger: { password: 'x', userId: '@stranger:elsewhere.org' },
    });
    app = dashboardApp({ org: c.org, view, admins: [c.admin.matrixId], homeserverUrl: HS, sessionTtlMs: 3_600_000, fetch: hs.fetchImpl, now: () => clock });
  });

  const get = (path: string, token?: string) => app.request(`/dashboard${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const apiLogin = async (user: string, password: string) => {
    const res = await app.request('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
    return { status: res.status, body: await res.json() as { token?: string; error?: string; user?: { admin: boolean } } };
  };

  it('answers nothing without a session: API 401, pages redirect to the login', async () => {
    for (const path of ['/api/agents', '/api/shards', '/api/activity', '/api/org', '/api/me', '/api/activity/stream', '/api/nothing-here']) {
      expect((await get(path)).status, path).toBe(401);
    }
    for (const path of ['/', '/agents', '/org', '/activity', '/shards', '/org/people/morgan.blake']) {
      const res = await get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe(`/dashboard/login?next=${encodeURIComponent(`/dashboard${path}`)}`);
    }
    expect((await get('/api/agents', 'made-up-token')).status).toBe(401);
  });

  it('refuses an AI employee, a stranger and a wrong password; admits a human and keeps no Matrix token', async () => {
    const agent = await apiLogin(c.agent.localpart, 'agent-pw');
    expect(agent.status).toBe(403);
    expect(agent.body.error).toContain('AI employee');
    expect((await apiLogin('stranger', 'x')).status).toBe(403);
    expect((await apiLogin('morgan.blake', 'wrong')).status).toBe(401);

    const ceo = await apiLogin('morgan.blake', 'ceo-pw');
    expect(ceo.status).toBe(200);
    expect(ceo.body.user?.admin).toBe(true);
    // Every token the checks obtained was logged out again: the dashboard never acts as anyone.
    expect(hs.tokens.size).toBe(0);
    expect(hs.calls.filter((p) => p === 'logout')).toHaveLength(hs.calls.filter((p) => p === 'account/whoami').length);
    expect((await get('/api/me', ceo.body.token)).status).toBe(200);
  });

  it('the form login sets an HttpOnly cookie, follows only dashboard paths, and logout ends the session', async () => {
    const form = (next: string) => new URLSearchParams({ user: 'morgan.blake', password: 'ceo-pw', next });
    const res = await app.request('/dashboard/login', { method: 'POST', body: form('https://evil.example/') });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/');
    const cookie = res.headers.get('set-cookie')!;
    expect((await app.request('/dashboard/', { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const session = cookie.split(';')[0]!;
    const withCookie = { headers: { cookie: session } };
    expect((await app.request('/dashboard/agents', withCookie)).status).toBe(200);
    expect((await app.request('/dashboard/login', { method: 'POST', body: form('/dashboard/shards') })).headers.get('location')).toBe('/dashboard/shards');

    const out = await app.request('/dashboard/logout', { method: 'POST', ...withCookie });
    expect(out.status).toBe(303);
    expect((await app.request('/dashboard/agents', withCookie)).status).toBe(303);
    expect((await app.request('/dashboard/api/agents', withCookie)).status).toBe(401);
  });

  it('sessions expire', async () => {
    const { body } = await apiLogin('morgan.blake', 'ceo-pw');
    clock += 3_600_000 - 1;
    expect((await get('/api/agents', body.token)).status).toBe(200);
    clock += 1;
    expect((await get('/api/agents', body.token)).status).toBe(401);
  });

  it('admin pages only for admins: the CEO and org.admins see shards, another human does not', async () => {
    const human = await apiLogin(c.human.localpart, 'human-pw');
    expect(human.status).toBe(200);
    expect(human.body.user?.admin).toBe(false);
    expect((await get('/api/shards', human.body.token)).status).toBe(403);
    expect((await get('/shards', human.body.token)).status).toBe(403);
    expect(await (await get('/', human.body.token)).text()).not.toContain('href="/dashboard/shards"');
    expect((await get('/api/agents', human.body.token)).status).toBe(200);

    const admin = await apiLogin(c.admin.localpart, 'admin-pw');
    expect(admin.body.user?.admin).toBe(true);
    expect((await get('/api/shards', admin.body.token)).status).toBe(200);
  });
});
