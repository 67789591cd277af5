import { html } from 'hono/html';
import type { OrgDirectory } from '../../org/directory.ts';
import { historyLine } from '../../tasks/format.ts';
import { taskRef, TASK_KINDS, TASK_PRIORITIES, type Task, type TaskEvent, type TaskStatus } from '../../tasks/model.ts';
import { count } from './format.ts';
import type { Html } from './layout.ts';
import { personHref, personLink } from './parts.ts';
import { changedNotice, taskActionForms, type ActionRefusal, type TaskAction } from './task-forms.ts';

/** The tasks board and one task's page: data in, escaped HTML out. */

/** The board's columns, in the order work moves (blocked beside the step it interrupts, done last). */
export const BOARD_COLUMNS: ReadonlyArray<{ status: TaskStatus; label: string }> = [
  { status: 'inbox', label: 'Inbox' }, { status: 'assigned', label: 'Assigned' }, { status: 'in_progress', label: 'In progress' },
  { status: 'review', label: 'Review' }, { status: 'blocked', label: 'Blocked' }, { status: 'done', label: 'Done' },
];
const label = (s: TaskStatus) => BOARD_COLUMNS.find((c) => c.status === s)?.label ?? s;

/** The filters as the form and links carry them (query-string names). */
export interface BoardParams { assignee: string; department: string; q: string; parent: string }

/** What the create form was sent, kept when it is refused so nothing typed is lost. */
export interface CreateFormValues { title?: string; kind?: string; assignee?: string; priority?: string; due?: string; description?: string; parent?: string }

export const taskHref = (id: number): string => `/dashboard/tasks/${taskRef(id)}`;

export function boardHref(p: BoardParams, extra: Record<string, string> = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...p, ...extra })) if (v) qs.set(k, v);
  const s = qs.toString();
  return `/dashboard/tasks${s ? `?${s}` : ''}`;
}

function taskCard(t: Task, org: OrgDirectory): Html {
  return html`<article class="task-card" data-task="${taskRef(t.id)}">
    <div class="task-top"><a class="task-id" href="${taskHref(t.id)}">${taskRef(t.id)}</a> <span class="pill kind">${t.kind}</span>
      ${t.priority !== 'normal' ? html`<span class="pill prio-${t.priority}">${t.priority}</span>` : ''}</div>
    <a class="task-title" href="${taskHref(t.id)}">${t.title}</a>
    ${t.status === 'blocked' && t.blockedReason ? html`<div class="small error">${t.blockedReason}</div>` : ''}
    <div class="task-meta small">${t.assignee ? personLink(org.get(t.assignee), t.assignee) : html`<span class="muted">unassigned</span>`}
      ${t.due ? html`<span class="muted"> · due ${t.due}</span>` : ''}</div>
  </article>`;
}

function filterForm(org: OrgDirectory, p: BoardParams, status?: TaskStatus): Html {
  return html`<form class="search task-filters" method="get" action="/dashboard/tasks">
    ${status ? html`<input type="hidden" name="status" value="${status}">` : ''}
    ${p.parent ? html`<input type="hidden" name="parent" value="${p.parent}">` : ''}
    <input name="assignee" value="${p.assignee}" placeholder="Assignee: name, localpart, me, nobody" aria-label="Assignee">
    <select name="department" aria-label="Department"><option value="">every department</option>
      ${org.departments().map((d) => html`<option value="${d}" ${d === p.department ? 'selected' : ''}>${d}</option>`)}</select>
    <input type="search" name="q" value="${p.q}" placeholder="Words in title or description" aria-label="Search tasks">
    <button type="submit">Filter</button>
    ${p.assignee || p.department || p.q || p.parent ? html`<a class="small" href="${boardHref({ assignee: '', department: '', q: '', parent: '' }, status ? { status } : {})}">clear</a>` : ''}
  </form>`;
}

function createForm(csrf: string, v: CreateFormValues, error?: string): Html {
  const kind = v.kind || 'task';
  const priority = v.priority || 'normal';
  return html`<details class="card create-task" ${error ? 'open' : ''}>
    <summary>New task</summary>
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    <form method="post" action="/dashboard/tasks">
      <input type="hidden" name="csrf" value="${csrf}">
      <label class="wide">Title <input name="title" value="${v.title ?? ''}" maxlength="200" required></label>
      <label>Kind <select name="kind">${TASK_KINDS.map((k) => html`<option ${k === kind ? 'selected' : ''}>${k}</option>`)}</select></label>
      <label>Assignee <input name="assignee" value="${v.assignee ?? ''}" placeholder="name, localpart or me; empty: inbox"></label>
      <label>Priority <select name="priority">${TASK_PRIORITIES.map((k) => html`<option ${k === priority ? 'selected' : ''}>${k}</option>`)}</select></label>
      <label>Due <input name="due" type="date" value="${v.due ?? ''}"></label>
      <label>Parent <input name="parent" value="${v.parent ?? ''}" placeholder="T-n" size="6"></label>
      <label class="wide">Description <textarea name="description" rows="3" maxlength="4000">${v.description ?? ''}</textarea></label>
      <p class="muted small wide">You create it as yourself; the assignee is told in Matrix, and you are told in your direct chat with the fleet bot when it is done or blocked.</p>
      <button type="submit">Create</button>
    </form>
  </details>`;
}

export function tasksBoardBody(d: {
  org: OrgDirectory; params: BoardParams; problem?: string; csrf: string; form?: CreateFormValues; formError?: string;
  counts: Record<TaskStatus, number>; columns: ReadonlyArray<{ status: TaskStatus; tasks: Task[] }>; perColumn: number;
}): Html {
  const total = Object.values(d.counts).reduce((a, b) => a + b, 0);
  return html`
    ${createForm(d.csrf, d.form ?? {}, d.formError)}
    ${filterForm(d.org, d.params)}
    ${d.problem ? html`<p class="error" role="alert">${d.problem}</p>` : html`<p class="muted">${count(total)} task(s)${d.params.parent ? ` in ${d.params.parent.toUpperCase()}` : ''}${d.params.assignee || d.params.department || d.params.q ? ' match' : ''}; each column shows its first ${d.perColumn}.</p>`}
    <div class="board">${d.columns.map(({ status, tasks }) => {
      const more = d.counts[status] - tasks.length;
      return html`<section class="column" data-status="${status}">
        <h3><a href="${boardHref(d.params, { status })}">${label(status)}</a> <span class="muted">${count(d.counts[status])}</span></h3>
        ${tasks.length ? tasks.map((t) => taskCard(t, d.org)) : html`<p class="muted small empty">none</p>`}
        ${more > 0 ? html`<a class="more" href="${boardHref(d.params, { status })}">${count(more)} more →</a>` : ''}
      </section>`;
    })}</div>`;
}

/** One column on its own, paged: where a board column's "N more" leads. */
export function tasksColumnBody(d: {
  org: OrgDirectory; params: BoardParams; problem?: string; status: TaskStatus; tasks: Task[]; total: number; page: number; pages: number;
}): Html {
  const pageHref = (n: number) => boardHref(d.params, { status: d.status, page: String(n) });
  return html`
    <nav class="chain"><a href="${boardHref(d.params)}">Board</a><span class="sep">›</span><strong>${label(d.status)}</strong></nav>
    ${filterForm(d.org, d.params, d.status)}
    ${d.problem ? html`<p class="error" role="alert">${d.problem}</p>` : ''}
    <p class="muted">${count(d.total)} ${label(d.status).toLowerCase()} task(s)${d.pages > 1 ? `, page ${d.page} of ${d.pages}` : ''}.
      ${d.page > 1 ? html`<a href="${pageHref(d.page - 1)}" rel="prev">‹ previous</a>` : ''} ${d.page < d.pages ? html`<a href="${pageHref(d.page + 1)}" rel="next">next ›</a>` : ''}</p>
    <div class="task-list" data-status="${d.status}">${d.tasks.length ? d.tasks.map((t) => taskCard(t, d.org)) : html`<p class="muted">None.</p>`}</div>`;
}

export function taskDetailBody(d: {
  org: OrgDirectory; task: Task; parent?: Task; children: Task[]; childCount: number; history: TaskEvent[]; created?: boolean;
  /** The session's form token, a change just made (a notice), or one just refused (shown in its form with what was typed). */
  csrf: string; changed?: TaskAction; refused?: ActionRefusal;
}): Html {
  const { org, task: t } = d;
  const nameOf = (id: string) => org.get(id)?.name ?? id;
  const comments = d.history.filter((e) => e.action === 'comment');
  const changes = d.history.filter((e) => e.action !== 'comment');
  return html`
    <nav class="chain"><a href="/dashboard/tasks">Tasks</a><span class="sep">›</span>${d.parent ? html`<a href="${taskHref(d.parent.id)}">${taskRef(d.parent.id)} ${d.parent.title}</a><span class="sep">›</span>` : ''}<strong>${taskRef(t.id)}</strong></nav>
    ${d.created ? html`<p class="card notice" role="status">Created ${taskRef(t.id)}.${t.assignee && t.assignee !== t.creator ? ` ${nameOf(t.assignee)} is told now.` : ''}</p>` : ''}
    ${d.changed ? changedNotice(t, d.changed, nameOf) : ''}
    <div class="columns person-page">
      <section class="card person task-detail" data-task="${taskRef(t.id)}">
        <h2>${t.title}</h2>
        <p class="title"><span class="pill status-${t.status}">${label(t.status)}</span> <span class="pill kind">${t.kind}</span> <span class="pill prio-${t.priority}">${t.priority}</span></p>
        <dl>
          <dt>Id</dt><dd><code>${taskRef(t.id)}</code></dd>
          <dt>Assignee</dt><dd>${t.assignee ? personLink(org.get(t.assignee), t.assignee) : html`<span class="muted">nobody (inbox)</span>`}</dd>
          <dt>Creator</dt><dd>${personLink(org.get(t.creator), t.creator)}</dd>
          <dt>Due</dt><dd>${t.due ?? '—'}</dd>
          ${t.blockedReason ? html`<dt>Blocked</dt><dd class="error">${t.blockedReason}</dd>` : ''}
          <dt>Created</dt><dd>${new Date(t.createdAt).toISOString().slice(0, 16).replace('T', ' ')}</dd>
          <dt>Updated</dt><dd>${new Date(t.updatedAt).toISOString().slice(0, 16).replace('T', ' ')}</dd>
        </dl>
        ${t.description ? html`<p class="description">${t.description}</p>` : ''}
        ${taskActionForms({ task: t, href: taskHref(t.id), csrf: d.csrf, ...(d.refused ? { refused: d.refused } : {}) })}
      </section>
      <section>
        <h2>Children (${count(d.childCount)})${d.childCount > d.children.length ? html` <a class="small" href="${boardHref({ assignee: '', department: '', q: '', parent: taskRef(t.id) })}">first ${d.children.length} here; all on the board →</a>` : ''}</h2>
        ${d.children.length ? html`<div class="task-list">${d.children.map((c) => html`<div class="child"><span class="pill status-${c.status}">${label(c.status)}</span> ${taskCard(c, org)}</div>`)}</div>` : html`<p class="muted">None.</p>`}
        <h2>Comments (${comments.length})</h2>
        ${comments.length ? html`<ul class="comments">${comments.map((e) => html`<li><a href="${personHref(e.actor)}">${nameOf(e.actor)}</a>
          <time class="muted small" datetime="${new Date(e.at).toISOString()}">${new Date(e.at).toISOString().slice(0, 16).replace('T', ' ')}</time>
          <p>${e.note ?? ''}</p></li>`)}</ul>` : html`<p class="muted">None.</p>`}
        <h2>History</h2>
        <ul class="history">${changes.map((e) => html`<li>${historyLine(e, nameOf)}</li>`)}</ul>
      </section>
    </div>`;
}
