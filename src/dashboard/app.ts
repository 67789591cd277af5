import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { serveStatic } from '@hono/node-server/serve-static';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentLogger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { FleetView } from '../router/fleet-view.ts';
import { newTurns } from './activity-stream.ts';
import { AGENTS_PAGE_SIZE, agentsApi, agentsWindow, orgApi, pageOf, personApi } from './api.ts';
import { admit, SessionStore, verifyMatrixPassword, type DashboardSession } from './auth.ts';
import { errorPage, loginPage, page } from './views/layout.ts';
import { activityBody, agentsBody, orgBody, overviewBody, personBody, shardsBody } from './views/pages.ts';
import { turnRow } from './views/parts.ts';
import { withProvisioningLine } from './views/provisioning.ts';
import { provisioningStatus } from '../provision/status.ts';
import type { TaskService } from '../tasks/service.ts';
import { tasksBoardApp } from './tasks-board.ts';

const log = componentLogger('dashboard');
const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');
export const SESSION_COOKIE = 'fleet_dashboard';

export interface DashboardOptions {
  org: OrgDirectory;
  view: FleetView;
  /** Human admins besides the org's root (config org.admins). */
  admins: readonly string[];
  /** Where passwords are checked: the fleet's homeserver, as this server reaches it. */
  homeserverUrl: string;
  sessionTtlMs: number;
  activityPollMs?: number;
  /** The router's tasks (the board); without it the dashboard has no Tasks page and no link to one. */
  tasks?: TaskService;
  fetch?: typeof fetch;
  now?: () => number;
}

type Env = { Variables: { session: DashboardSession } };

/** Only paths within the dashboard are followed after login, so a crafted link cannot send someone elsewhere. */
const safeNext = (next: unknown): string => (typeof next === 'string' && next.startsWith('/dashboard/') ? next : '/dashboard/');

/**
 * The fleet dashboard, mounted under /dashboard: people sign in with their Matrix password; pages and the JSON API
 * under /dashboard/api/ answer only with a session (cookie, or `Authorization: Bearer <session token>` for scripts).
 * It reads the router's FleetView and the org directory on every request and keeps no data of its own.
 */
export function dashboardApp(opts: DashboardOptions) {
  const { org, view } = opts;
  const now = opts.now ?? Date.now;
  const sessions = new SessionStore(opts.sessionTtlMs, now);
  // The pages link to /dashboard/… themselves, so the app owns its base path; /dashboard/ and /dashboard are one page.
  const app = new Hono<Env>({ strict: false }).basePath('/dashboard');

  const login = async (user: string, password: string) => {
    const checked = await verifyMatrixPassword(opts.homeserverUrl, user, password, opts.fetch);
    if (!checked.ok) return checked;
    const admitted = admit(org, opts.admins, checked.userId);
    if (!admitted.ok) {
      log.warn({ userId: checked.userId }, 'dashboard login refused: not a human of the org');
      return { ok: false as const, status: 403, reason: admitted.reason };
    }
    log.info({ userId: checked.userId }, 'dashboard login');
    return { ok: true as const, session: sessions.create(admitted.user) };
  };

  const sessionCookie = (c: Context, s: DashboardSession) => setCookie(c, SESSION_COOKIE, s.id, {
    path: '/dashboard', httpOnly: true, sameSite: 'Strict', maxAge: Math.floor((s.expiresAt - now()) / 1000),
  });

  // Anyone may post a login form: bodies are capped before anything buffers them (a form needs far less).
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: 'request body too large' }, 413) }));
  app.use('/static/*', serveStatic({ root: STATIC_DIR, rewriteRequestPath: (p) => p.replace(/^\/dashboard\/static/, '') }));
  app.get('/login', (c) => c.html(loginPage({ next: safeNext(c.req.query('next')) })));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const user = String(form.user ?? '');
    const next = safeNext(form.next);
    const result = await login(user, String(form.password ?? ''));
    if (!result.ok) return c.html(loginPage({ error: result.reason, next, user }), result.status as 401);
    sessionCookie(c, result.session);
    return c.redirect(next, 303);
  });
  app.post('/api/login', async (c) => {
    const body = await c.req.json<{ user?: string; password?: string }>().catch(() => ({} as { user?: string; password?: string }));
    const result = await login(String(body.user ?? ''), String(body.password ?? ''));
    if (!result.ok) return c.json({ error: result.reason }, result.status as 401);
    return c.json({ token: result.session.id, user: result.session.user, expiresAt: result.session.expiresAt });
  });

  // Everything below needs a session.
  app.use('*', async (c, next) => {
    const bearer = c.req.header('authorization')?.match(/^Bearer (.+)$/)?.[1];
    const session = sessions.get(bearer ?? getCookie(c, SESSION_COOKIE));
    if (!session) {
      if (c.req.path.startsWith('/dashboard/api/')) return c.json({ error: 'sign in first: POST /dashboard/api/login' }, 401);
      return c.redirect(`/dashboard/login?next=${encodeURIComponent(new URL(c.req.url).pathname)}`, 303);
    }
    c.set('session', session);
    await next();
  });
  const adminOnly = async (c: Context<Env>, next: () => Promise<void>) => {
    if (c.get('session').user.admin) return next();
    if (c.req.path.startsWith('/dashboard/api/')) return c.json({ error: 'admins only' }, 403);
    return c.html(errorPage({ user: c.get('session').user, title: 'Admins only', message: 'This page is for the fleet\'s admins (the CEO and org.admins).' }), 403);
  };

  app.post('/logout', (c) => {
    sessions.delete(c.get('session').id);
    deleteCookie(c, SESSION_COOKIE, { path: '/dashboard' });
    return c.redirect('/dashboard/login', 303);
  });
  app.post('/api/logout', (c) => {
    sessions.delete(c.get('session').id);
    return c.json({ ok: true });
  });

  const render = (c: Context<Env>, title: string, section: Parameters<typeof page>[0]['section'], body: ReturnType<typeof page>, scripts?: string[]) =>
    c.html(page({ title, section, user: c.get('session').user, body, ...(scripts ? { scripts } : {}), ...(opts.tasks ? { tasks: true } : {}) }));

  app.get('/', async (c) => {
    const [agents, shards, turns] = await Promise.all([view.agents(), view.shards(), view.activity({ limit: 500 })]);
    return render(c, 'Overview', 'overview', withProvisioningLine(provisioningStatus(),
      overviewBody({ org, agents, shards, turns, inbox: view.inbox(), now: now() }), now()));
  });
  app.get('/org', async (c) => {
    const agents = new Map((await view.agents()).map((a) => [a.agentId, a]));
    const department = c.req.query('department') || undefined;
    const team = c.req.query('team') || undefined;
    return render(c, 'Org chart', 'org', orgBody({ org, agents, q: c.req.query('q')?.trim() ?? '', ...(department ? { department } : {}), ...(team ? { team } : {}), now: now() }));
  });
  app.get('/org/people/:localpart', async (c) => {
    const person = org.byLocalpart(c.req.param('localpart'));
    if (!person) return c.html(errorPage({ user: c.get('session').user, title: 'Not found', message: 'No one by that id works here.' }), 404);
    const [agents, turns] = await Promise.all([view.agents(), view.activity({ limit: 500 })]);
    const agent = agents.find((a) => a.agentId === person.matrixId);
    return render(c, person.name, 'org', personBody({ org, person, ...(agent ? { agent } : {}), turns: turns.filter((t) => t.agentId === person.matrixId), now: now(),
      ...(opts.tasks ? { openTasks: opts.tasks.openTasksOf(person.matrixId) } : {}) }));
  });
  app.get('/agents', async (c) => {
    const q = c.req.query('q')?.trim() ?? '';
    const show = c.req.query('show') ?? 'active';
    const all = await view.agents();
    const matched = agentsApi(all, { q, show });
    const shown = pageOf(matched, Number(c.req.query('page') ?? 1), AGENTS_PAGE_SIZE);
    return render(c, 'Agents', 'agents', agentsBody({ org, agents: shown.items, total: all.length, q, show, now: now(), page: shown.page, pages: shown.pages, matched: matched.length }));
  });
  app.get('/activity', async (c) => render(c, 'Activity', 'activity', activityBody({ org, turns: await view.activity({ limit: 200 }) }), ['activity.js']));
  if (opts.tasks) app.route('/', tasksBoardApp({ service: opts.tasks, org, sessionCookie: SESSION_COOKIE }));
  app.get('/shards', adminOnly, async (c) => render(c, 'Shards', 'shards', shardsBody({ shards: await view.shards(), inbox: view.inbox(), now: now() })));

  app.get('/api/me', (c) => c.json(c.get('session').user));
  app.get('/api/provisioning', (c) => c.json(provisioningStatus()));
  app.get('/api/agents', async (c) => {
    const matched = agentsApi(await view.agents(), { q: c.req.query('q') ?? '', show: c.req.query('show') ?? 'all' });
    const { start, end } = agentsWindow(c.req.query('limit'), c.req.query('offset'));
    c.header('x-total-count', String(matched.length));
    return c.json(matched.slice(start, end));
  });
  app.get('/api/shards', adminOnly, async (c) => c.json({ shards: await view.shards(), inbox: view.inbox() }));
  app.get('/api/activity', async (c) => {
    const sinceAt = Number(c.req.query('since') ?? 0) || undefined;
    const limit = Number(c.req.query('limit') ?? 0) || undefined;
    return c.json(await view.activity({ ...(sinceAt ? { sinceAt } : {}), ...(limit ? { limit } : {}) }));
  });
  app.get('/api/org', (c) => c.json(orgApi(org, { q: c.req.query('q') ?? '', department: c.req.query('department') ?? '', team: c.req.query('team') ?? '' })));
  app.get('/api/org/:id', (c) => {
    const found = personApi(org, c.req.param('id'));
    return found ? c.json(found) : c.json({ error: 'no such person' }, 404);
  });
  // Each event carries the turn and its table row rendered like the page's, so the browser inserts escaped HTML.
  app.get('/api/activity/stream', (c) => {
    const session = c.get('session');
    const sinceAt = Number(c.req.query('since') ?? 0) || now();
    return streamSSE(c, async (stream) => {
      const aborted = new AbortController();
      stream.onAbort(() => aborted.abort());
      const keepAlive = setInterval(() => {
        if (!sessions.get(session.id)) aborted.abort();
        else void stream.writeSSE({ event: 'ping', data: String(now()) });
      }, 15_000);
      try {
        for await (const turn of newTurns(view, { sinceAt, pollMs: opts.activityPollMs ?? 1000, signal: aborted.signal })) {
          if (!sessions.get(session.id)) break;
          const row = await turnRow(turn, (id) => org.get(id));
          await stream.writeSSE({ event: 'turn', id: turn.id, data: JSON.stringify({ turn, row: row.toString() }) });
        }
      } finally {
        clearInterval(keepAlive);
      }
    });
  });
  return app;
}
