import { expect } from 'vitest';
import { dashboardApp, SESSION_COOKIE } from '../../../src/dashboard/app.ts';
import { loadOrg } from '../../../src/org/load.ts';
import { openDatabase } from '../../../src/store/sqlite.ts';
import { TaskService } from '../../../src/tasks/service.ts';
import { TaskStore } from '../../../src/tasks/store.ts';
import { StubFleetView } from './stub-view.ts';

/** The tasks board's tests: the org, the people they act as, and a signed-in dashboard. */

export const DOMAIN = 'anycompany.corp';
export const BOT = `@fleet-bot:${DOMAIN}`;
const CEO = { name: 'Morgan Blake', localpart: 'morgan.blake' };
const base = loadOrg({ domain: DOMAIN, ceo: CEO });
// A second human (an employee marked human), to sign in as someone else.
export const org = loadOrg({ domain: DOMAIN, ceo: CEO, humans: [base.agents()[20]!.matrixId] });
export const ceo = org.all().find((p) => p.reportsTo === null)!;
export const colleague = org.get(base.agents()[20]!.matrixId)!;
export const manager = org.byLevel('Manager').find((m) => org.reports(m.matrixId).length >= 2 && !m.human)!;
export const [ic1, ic2] = org.reports(manager.matrixId) as [typeof manager, typeof manager];
export const elsewhere = org.agents().find((p) => p.department !== manager.department && p.level === 'IC')!;

/** A dashboard with a real TaskService on an in-memory SQLite, and helpers signed in the way a browser is (cookie). */
export function board(opts: { tasks?: boolean } = {}) {
  const store = new TaskStore(openDatabase(':memory:', []));
  const service = new TaskService({ store, org, botId: BOT });
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const user = url.endsWith('/login') ? (JSON.parse(String(init?.body)) as { identifier: { user: string } }).identifier.user : '';
    if (url.endsWith('/login')) return Response.json({ access_token: `t-${user}` });
    if (url.endsWith('/whoami')) {
      const token = new Headers(init?.headers).get('authorization')!.replace('Bearer t-', '');
      return Response.json({ user_id: org.byLocalpart(token)!.matrixId });
    }
    return Response.json({});
  }) as typeof fetch;
  const app = dashboardApp({ org, view: new StubFleetView(org), admins: [], homeserverUrl: 'http://hs.test', sessionTtlMs: 60_000, fetch: fetchImpl,
    ...(opts.tasks === false ? {} : { tasks: service }) });

  const signIn = async (localpart: string) => {
    const res = await app.request('/dashboard/login', { method: 'POST', body: new URLSearchParams({ user: localpart, password: 'pw', next: '/dashboard/' }) });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
    const get = (path: string) => app.request(`/dashboard${path}`, { headers: { cookie } });
    const text = async (path: string) => (await get(path)).text();
    const csrf = async () => (await text('/tasks')).match(/name="csrf" value="([^"]+)"/)![1]!;
    /** A form post as the browser sends it from the dashboard's page (same-origin); `path` under /dashboard. */
    const postTo = async (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
      app.request(`/dashboard${path}`, { method: 'POST', body: new URLSearchParams(fields), headers: { cookie, 'sec-fetch-site': 'same-origin', ...headers } });
    const post = (fields: Record<string, string>, headers: Record<string, string> = {}) => postTo('/tasks', fields, headers);
    return { cookie, get, text, csrf, post, postTo };
  };
  return { app, store, service, signIn };
}

/** The HTML of one board column. */
export const column = (html: string, status: string) => {
  const at = html.indexOf(`class="column" data-status="${status}"`);
  expect(at, `column ${status}`).toBeGreaterThan(-1);
  return html.slice(at, html.indexOf('</section>', at));
};
export const cards = (html: string) => [...html.matchAll(/class="task-card" data-task="(T-\d+)"/g)].map((m) => m[1]);

