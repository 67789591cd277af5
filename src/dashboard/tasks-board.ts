import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { componentLogger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { parseTaskRef, taskRef, TASK_KINDS, TASK_PRIORITIES, TASK_STATUSES, type Task, type TaskKind, type TaskPriority, type TaskStatus } from '../tasks/model.ts';
import { TaskError, type Actor, type CreateInput, type TaskService } from '../tasks/service.ts';
import type { DashboardSession } from './auth.ts';
import { countByStatus, countTasks, parseBoardFilter, tasksWindow, type FilterParams } from './tasks-query.ts';
import { errorPage, page, type Html } from './views/layout.ts';
import { TASK_ACTIONS, type ActionRefusal, type TaskAction } from './views/task-forms.ts';
import { BOARD_COLUMNS, taskDetailBody, taskHref, tasksBoardBody, tasksColumnBody, type BoardParams, type CreateFormValues } from './views/tasks.ts';

const log = componentLogger('dashboard');

type Env = { Variables: { session: DashboardSession } };

/** Cards per board column by default and at most (`limit`), rows per page of one column and of the JSON API, children on a task's page. */
export const BOARD_COLUMN_LIMIT = 20;
export const BOARD_COLUMN_MAX = 100;
export const COLUMN_PAGE_SIZE = 100;
export const TASKS_API_MAX = 500;
export const DETAIL_CHILDREN = 50;

/** A task as the JSON API gives it: the store's fields people need (no routing internals), with names beside ids. */
export function taskJson(t: Task, nameOf: (id: string) => string) {
  return {
    id: t.id, ref: taskRef(t.id), kind: t.kind, title: t.title, description: t.description, status: t.status,
    blockedReason: t.blockedReason, parentId: t.parentId, assignee: t.assignee, assigneeName: t.assignee ? nameOf(t.assignee) : null,
    creator: t.creator, creatorName: nameOf(t.creator), priority: t.priority, due: t.due, version: t.version,
    createdAt: t.createdAt, updatedAt: t.updatedAt,
  };
}

const noTasks = (): Record<TaskStatus, number> => Object.fromEntries(BOARD_COLUMNS.map((col) => [col.status, 0])) as Record<TaskStatus, number>;

const int = (raw: string | undefined, fallback: number, max: number, min = 1): number =>
  Math.min(max, Math.max(min, Number.isSafeInteger(Number(raw)) && raw !== undefined && raw !== '' ? Number(raw) : fallback));

/**
 * The form's CSRF token: an HMAC of the session id under a key made at start, so nothing is stored and a token is
 * worth nothing for another session. SameSite=Strict alone does not cover a sibling sub-domain (same site, other
 * origin), nor browsers that ignore SameSite.
 */
export class CsrfTokens {
  readonly #key = randomBytes(32);

  for(sessionId: string): string {
    return createHmac('sha256', this.#key).update(sessionId).digest('base64url');
  }

  valid(sessionId: string, token: unknown): boolean {
    if (typeof token !== 'string') return false;
    const want = Buffer.from(this.for(sessionId));
    const got = Buffer.from(token);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

/**
 * The tasks board under /dashboard/tasks and /dashboard/api/tasks, mounted behind the dashboard's session check. It
 * reads the router's tasks store on every request and changes it only through TaskService, acting as the signed-in
 * human, with the rules the admin room and the agents' tool follow.
 */
export function tasksBoardApp(opts: { service: TaskService; org: OrgDirectory; sessionCookie: string }) {
  const { service, org } = opts;
  const { store } = service;
  const csrf = new CsrfTokens();
  const app = new Hono<Env>({ strict: false });
  const nameOf = (id: string) => service.nameOf(id);
  // An epic may have thousands of children: the first few, and how many there are (the board filters by parent).
  const childrenOf = (id: number, limit: number) => ({
    children: tasksWindow(store, org, { parent: id }, limit),
    childCount: countTasks(store, org, { parent: id }),
  });

  const render = (c: Context<Env>, title: string, body: Html, status: 200 | 400 | 404 | 409 = 200) =>
    c.html(page({ title, section: 'tasks', user: c.get('session').user, body, tasks: true }), status);
  const filterOf = (c: Context<Env>) => {
    const q = c.req.query();
    const params: BoardParams = { assignee: q.assignee?.trim() ?? '', department: q.department?.trim() ?? '', q: q.q?.trim() ?? '', parent: q.parent?.trim() ?? '' };
    return { params, parsed: parseBoardFilter(org, c.get('session').user.userId, { ...params, ...(q.status ? { status: q.status } : {}) } satisfies FilterParams) };
  };

  const board = (c: Context<Env>, form: { values?: CreateFormValues; error?: string } = {}) => {
    const { params, parsed } = filterOf(c);
    const problem = parsed.ok ? {} : { problem: parsed.problem };
    const counts = parsed.ok ? countByStatus(store, org, parsed.filter) : noTasks();
    const status = parsed.filter.statuses?.length === 1 ? parsed.filter.statuses[0]! : undefined;
    if (status && !form.values) {
      const pages = Math.max(1, Math.ceil(counts[status] / COLUMN_PAGE_SIZE));
      const at = int(c.req.query('page'), 1, pages);
      const tasks = counts[status] ? tasksWindow(store, org, parsed.filter, COLUMN_PAGE_SIZE, (at - 1) * COLUMN_PAGE_SIZE) : [];
      return render(c, 'Tasks', tasksColumnBody({ org, params, ...problem, status, tasks, total: counts[status], page: at, pages }));
    }
    const perColumn = int(c.req.query('limit'), BOARD_COLUMN_LIMIT, BOARD_COLUMN_MAX);
    // A column with nothing in it costs no query: the counts already said so.
    const columns = BOARD_COLUMNS.map(({ status: s }) => ({ status: s, tasks: counts[s] ? tasksWindow(store, org, { ...parsed.filter, statuses: [s] }, perColumn) : [] }));
    return render(c, 'Tasks', tasksBoardBody({
      org, params, ...problem, csrf: csrf.for(c.get('session').id), counts, columns, perColumn,
      ...(form.values ? { form: form.values } : {}), ...(form.error ? { formError: form.error } : {}),
    }), form.error ? 400 : 200);
  };

  const detail = (c: Context<Env>, id: number, refused?: ActionRefusal, status: 400 | 409 = 400) => {
    const changed = TASK_ACTIONS.find((a) => a === c.req.query('changed'));
    const { task } = service.get(id);
    const parent = task.parentId !== null ? store.get(task.parentId) : undefined;
    const { children, childCount } = childrenOf(task.id, DETAIL_CHILDREN);
    return render(c, `${taskRef(task.id)} ${task.title}`, taskDetailBody({
      org, task, children, childCount, history: store.history(task.id, 500), ...(parent ? { parent } : {}), created: c.req.query('created') === '1',
      csrf: csrf.for(c.get('session').id), ...(refused ? { refused } : changed ? { changed } : {}),
    }), refused ? status : 200);
  };
  const taskOf = (c: Context<Env>) => {
    const id = parseTaskRef(c.req.param('ref') ?? '');
    return id === undefined ? undefined : store.get(id);
  };
  const notFound = (c: Context<Env>) =>
    c.html(errorPage({ user: c.get('session').user, title: 'Not found', message: `There is no task ${c.req.param('ref')}.`, tasks: true }), 404);

  /**
   * A form post the dashboard's own page made: the session cookie (not a bearer token), the session's CSRF token, and
   * a request the browser did not mark as cross-site. Gives the form's trimmed text fields, or the 403 to answer.
   */
  const ownForm = async (c: Context<Env>): Promise<{ fields: Record<string, string> } | { refusal: Response | Promise<Response> }> => {
    const session = c.get('session');
    const form = await c.req.parseBody();
    const fromCookie = getCookie(c, opts.sessionCookie) === session.id;
    const crossSite = c.req.header('sec-fetch-site') === 'cross-site';
    if (!fromCookie || crossSite || !csrf.valid(session.id, form.csrf)) {
      log.warn({ userId: session.user.userId, path: c.req.path, fromCookie, crossSite }, 'task form refused: not the dashboard\'s own form');
      return { refusal: c.html(errorPage({ user: session.user, title: 'Refused', message: 'This form only works from the dashboard\'s own tasks pages. Reload the page and try again.', tasks: true }), 403) };
    }
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(form)) if (k !== 'csrf' && typeof v === 'string') fields[k] = v.trim();
    return { fields };
  };

  app.get('/tasks', (c) => board(c));
  app.get('/tasks/:ref', (c) => {
    const found = taskOf(c);
    return found ? detail(c, found.id) : notFound(c);
  });

  app.post('/tasks', async (c) => {
    const me = c.get('session').user.userId;
    const form = await ownForm(c);
    if ('refusal' in form) return form.refusal;
    const f = form.fields;
    const values: CreateFormValues = { title: f.title ?? '', kind: f.kind ?? '', assignee: f.assignee ?? '', priority: f.priority ?? '', due: f.due ?? '', description: f.description ?? '', parent: f.parent ?? '' };
    try {
      const task = service.create({ id: me }, createInput(values, me));
      log.info({ userId: me, task: task.id }, 'task created from the dashboard');
      return c.redirect(`${taskHref(task.id)}?created=1`, 303);
    } catch (err) {
      if (err instanceof TaskError) return board(c, { values, error: err.message });
      throw err;
    }
  });

  // Status, assignment and comments from the task's page, as the signed-in human, under the service's rules (the
  // same as in chat); the notifier tells people as it does for chat. A refusal shows in its form, input kept.
  app.post('/tasks/:ref/:action', async (c) => {
    const action = c.req.param('action') as TaskAction;
    const found = taskOf(c);
    if (!found || !(TASK_ACTIONS as readonly string[]).includes(action)) return notFound(c);
    const form = await ownForm(c);
    if ('refusal' in form) return form.refusal;
    const me = c.get('session').user.userId;
    // A move or an assignment is meant for the task as the page showed it: if it changed since (an agent took it,
    // someone reassigned it), the person decides again. Nothing awaits from here on, so no other change slips in.
    const now = store.get(found.id)!;
    if (action !== 'comment' && form.fields.version && form.fields.version !== String(now.version)) {
      const error = `${taskRef(now.id)} changed since you opened it (now ${now.status}${now.assignee ? `, ${nameOf(now.assignee)}` : ', nobody'}): check it and try again`;
      return detail(c, found.id, { action, values: form.fields, error }, 409);
    }
    try {
      applyAction(service, { id: me }, found.id, action, form.fields);
      log.info({ userId: me, task: found.id, action }, 'task changed from the dashboard');
      return c.redirect(`${taskHref(found.id)}?changed=${action}`, 303);
    } catch (err) {
      if (err instanceof TaskError) return detail(c, found.id, { action, values: form.fields, error: err.message });
      throw err;
    }
  });

  app.get('/api/tasks', (c) => {
    const { parsed } = filterOf(c);
    if (!parsed.ok) return c.json({ error: parsed.problem }, 400);
    const limit = int(c.req.query('limit'), TASKS_API_MAX, TASKS_API_MAX);
    const offset = int(c.req.query('offset'), 0, Number.MAX_SAFE_INTEGER, 0);
    c.header('x-total-count', String(countTasks(store, org, parsed.filter)));
    return c.json(tasksWindow(store, org, parsed.filter, limit, offset).map((t) => taskJson(t, nameOf)));
  });
  app.get('/api/tasks/:ref', (c) => {
    const id = parseTaskRef(c.req.param('ref'));
    if (id === undefined || !store.get(id)) return c.json({ error: `there is no task ${c.req.param('ref')}` }, 404);
    const { task } = service.get(id);
    const { children, childCount } = childrenOf(id, TASKS_API_MAX);
    return c.json({ ...taskJson(task, nameOf), childCount, children: children.map((t) => taskJson(t, nameOf)), history: store.history(id, 500) });
  });
  return app;
}

/** One change from a task page's form through the service; the forms' words ("me", "nobody") as the chat command takes them. */
function applyAction(service: TaskService, actor: Actor, id: number, action: TaskAction, f: Record<string, string>): void {
  if (action === 'status') {
    const to = f.status ?? '';
    if (!(TASK_STATUSES as readonly string[]).includes(to)) throw new TaskError(`the status is one of ${TASK_STATUSES.join(', ')}`);
    const note = f.note ?? '';
    service.setStatus(actor, id, to as TaskStatus, to === 'blocked' ? { reason: note } : note ? { note } : {});
  } else if (action === 'assign') {
    const who = f.assignee ?? '';
    if (!who) throw new TaskError('assign to whom? A name, a localpart, me, or nobody (back to the inbox)');
    service.assign(actor, id, /^(nobody|none|inbox)$/i.test(who) ? null : /^(me|myself)$/i.test(who) ? actor.id : who);
  } else {
    service.comment(actor, id, f.text ?? '');
  }
}

/** The form's fields as TaskService input; kinds and priorities are checked here, the rest by the service. */
function createInput(v: CreateFormValues, me: string): CreateInput {
  if (v.kind && !(TASK_KINDS as readonly string[]).includes(v.kind)) throw new TaskError(`the kind is one of ${TASK_KINDS.join(', ')}`);
  if (v.priority && !(TASK_PRIORITIES as readonly string[]).includes(v.priority)) throw new TaskError(`the priority is one of ${TASK_PRIORITIES.join(', ')}`);
  const parent = v.parent ? parseTaskRef(v.parent) : undefined;
  if (v.parent && parent === undefined) throw new TaskError('the parent is a task id like T-3');
  return {
    title: v.title ?? '', ...(v.kind ? { kind: v.kind as TaskKind } : {}), ...(v.priority ? { priority: v.priority as TaskPriority } : {}),
    ...(v.description ? { description: v.description } : {}), ...(v.due ? { due: v.due } : {}), ...(parent !== undefined ? { parent } : {}),
    ...(v.assignee ? { assignee: /^(me|myself)$/i.test(v.assignee) ? me : v.assignee } : {}),
  };
}
