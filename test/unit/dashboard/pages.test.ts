import { describe, expect, it } from 'vitest';
import { dashboardApp } from '../../../src/dashboard/app.ts';
import { loadOrg } from '../../../src/org/load.ts';
import { StubFleetView } from './stub-view.ts';

const DOMAIN = 'anycompany.corp';
const org = loadOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } });
const ceo = org.all().find((p) => p.reportsTo === null)!;

/** A dashboard whose homeserver accepts the CEO; returns a request helper already signed in. */
async function signedIn(view: StubFleetView, extra: { activityPollMs?: number } = {}, directory = org) {
  const fetchImpl = (async (input: string | URL | Request) => {
    const url = String(input);
    if (url.endsWith('/login')) return Response.json({ access_token: 't', user_id: ceo.matrixId });
    if (url.endsWith('/whoami')) return Response.json({ user_id: ceo.matrixId });
    return Response.json({});
  }) as typeof fetch;
  const app = dashboardApp({ org: directory, view, admins: [], homeserverUrl: 'http://hs.test', sessionTtlMs: 60_000, fetch: fetchImpl, ...extra });
  const login = await app.request('/dashboard/api/login', { method: 'POST', body: JSON.stringify({ user: 'morgan.blake', password: 'pw' }) });
  const { token } = await login.json() as { token: string };
  const get = (path: string, init: RequestInit = {}) => app.request(`/dashboard${path}`, { ...init, headers: { authorization: `Bearer ${token}` } });
  return { get, text: async (path: string) => (await get(path)).text() };
}

describe('dashboard pages and API', () => {
  it('pages the agents of a 10,000-person org: 200 rows a page with links, the API 1000 at most with the total', { timeout: 60_000 }, async () => {
    const big = loadOrg({ domain: DOMAIN, size: 10_000, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } });
    const { get, text } = await signedIn(new StubFleetView(big), {}, big);
    const rows = (html: string) => html.split('data-agent="').length - 1;
    const first = await text('/agents?show=all');
    expect(rows(first)).toBe(200);
    expect(first).toContain('9999 of 9999 agents, page 1 of 50');
    expect(first).toContain('page=2" rel="next"');
    const last = await text('/agents?show=all&page=50');
    expect(rows(last)).toBe(199);
    expect(last).toContain('rel="prev"');
    expect(last).not.toContain('rel="next"');
    expect(rows(await text('/agents?show=all&page=999'))).toBe(199); // clamped to the last page

    const api = await get('/api/agents');
    expect(api.headers.get('x-total-count')).toBe('9999');
    expect(await api.json()).toHaveLength(1000);
    const tail = await (await get('/api/agents?limit=50&offset=9990')).json() as unknown[];
    expect(tail).toHaveLength(9);
  });

  it('the agents page and API show the agent that just answered, with its shard and token count', async () => {
    const view = new StubFleetView(org);
    const agent = org.agents()[500]!;
    view.addTurn({ agentId: agent.matrixId, senderId: ceo.matrixId, at: Date.now() - 2000, inputTokens: 1234, outputTokens: 56 });
    const { get, text } = await signedIn(view);

    const agents = await (await get('/api/agents?show=active')).json() as Array<{ agentId: string; shardId: string; inputTokens: number }>;
    expect(agents.map((a) => a.agentId)).toEqual([agent.matrixId]);
    const html = await text('/agents');
    const row = html.slice(html.indexOf(`data-agent="${agent.matrixId}"`));
    expect(row.slice(0, row.indexOf('</tr>'))).toMatch(new RegExp(`${agent.name}[\\s\\S]*shard-0[\\s\\S]*1,234 / 56`));
  });

  it('the activity page lists turns and the stream sends a new one as it happens', async () => {
    const view = new StubFleetView(org);
    const agent = org.agents()[7]!;
    view.addTurn({ agentId: agent.matrixId, senderId: ceo.matrixId, at: Date.now() - 60_000 });
    const { get, text } = await signedIn(view, { activityPollMs: 20 });
    expect(await text('/activity')).toContain(agent.name);

    const res = await get(`/api/activity/stream?since=${Date.now() - 1000}`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    setTimeout(() => view.addTurn({ agentId: agent.matrixId, senderId: ceo.matrixId, at: Date.now(), outcome: 'failed', error: 'model <timeout>' }), 50);
    let received = '';
    while (!received.includes('event: turn')) received += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const data = JSON.parse(received.split('data: ')[1]!.split('\n')[0]!) as { turn: { outcome: string }; row: string };
    expect(data.turn.outcome).toBe('failed');
    // The row is escaped server-side: the browser inserts it as is.
    expect(data.row).toContain('model &lt;timeout&gt;');
    expect(data.row).toContain(agent.name);
  });

  it('the org chart browses departments and teams, searches, and shows a manager chain and reports', async () => {
    const { get, text } = await signedIn(new StubFleetView(org));
    const ic = org.byLevel('IC')[0]!;
    const team = ic.team!;
    const teamPage = await text(`/org?department=${encodeURIComponent(ic.department)}&team=${encodeURIComponent(team)}`);
    for (const member of org.team(team, ic.department)) expect(teamPage).toContain(member.name);

    expect(await text(`/org?q=${encodeURIComponent(ic.name)}`)).toContain(`/dashboard/org/people/${ic.localpart}`);

    const person = await text(`/org/people/${ic.localpart}`);
    const chain = person.slice(person.indexOf('class="chain"'), person.indexOf('</nav>', person.indexOf('class="chain"')));
    const names = org.chain(ic.matrixId).reverse().map((m) => m.name);
    expect(names[0]).toBe(ceo.name);
    let at = 0;
    for (const name of names) {
      at = chain.indexOf(name, at);
      expect(at, `${name} in order`).toBeGreaterThan(-1);
    }
    const manager = org.manager(ic.matrixId)!;
    const managerPage = await text(`/org/people/${manager.localpart}`);
    for (const r of org.reports(manager.matrixId)) expect(managerPage).toContain(r.name);
    expect(managerPage).toContain(`/?chat=${encodeURIComponent(manager.matrixId)}`);

    const api = await (await get(`/api/org/${ic.localpart}`)).json() as { managerChain: Array<{ matrixId: string }> };
    expect(api.managerChain.map((m) => m.matrixId)).toEqual(org.chain(ic.matrixId).map((m) => m.matrixId));
    expect((await get('/org/people/no.one')).status).toBe(404);
  });

  it('the shards page shows health, placement, unfinished deliveries and restarts', async () => {
    const view = new StubFleetView(org);
    view.shardList = [
      { shardId: 'shard-0', url: 'http://127.0.0.1:9100', startedAt: Date.now() - 60_000, lastSeenAt: Date.now(), unfinished: 3, placedAgents: 512, restarts: 1, reachable: true, deliveries: { pending: 3, done: 40, failed: 0, skipped: 2 } },
      { shardId: 'shard-1', url: 'http://127.0.0.1:9101', startedAt: Date.now() - 60_000, lastSeenAt: Date.now() - 9000, unfinished: 0, placedAgents: 488, restarts: 0, reachable: false },
    ];
    const { text } = await signedIn(view);
    const html = await text('/shards');
    expect(html).toMatch(/shard-0[\s\S]*healthy[\s\S]*512[\s\S]*>3<[\s\S]*>1</);
    expect(html).toMatch(/shard-1[\s\S]*unreachable/);
  });
});
