import { html } from 'hono/html';
import { LIMITS, nextStatuses, taskRef, transitionProblem, type Task, type TaskStatus } from '../../tasks/model.ts';
import type { Html } from './layout.ts';

/** The forms on a task's page that change it: status, assignee, a comment. Each posts to the task's own path. */

export const TASK_ACTIONS = ['status', 'assign', 'comment'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

/** A refused change: which form, what was typed (shown again), and the service's reason. */
export interface ActionRefusal { action: TaskAction; values: Record<string, string>; error: string }

/**
 * The moves worth offering: the flow's moves from here that the task's assignee (or lack of one) allows. A reason for
 * blocked is asked in the note, so it does not count here; who may move it is the service's to say.
 */
export const offeredMoves = (t: Pick<Task, 'status' | 'assignee'>): TaskStatus[] =>
  nextStatuses(t.status).filter((to) => !transitionProblem(t.status, to, t.assignee !== null, 'a reason'));

const STATUS_LABELS: Partial<Record<TaskStatus, string>> = { in_progress: 'in progress' };

/** What the page says after a change went through (the redirect carries `changed=<action>`), as the chat command answers. */
export function changedNotice(t: Task, action: TaskAction, nameOf: (id: string) => string): Html {
  const what = action === 'status' ? `${taskRef(t.id)} is now ${STATUS_LABELS[t.status] ?? t.status}.`
    : action === 'assign' ? `${taskRef(t.id)} is ${t.assignee ? `assigned to ${nameOf(t.assignee)}` : 'back in the inbox'}.`
      : `Comment added to ${taskRef(t.id)}.`;
  return html`<p class="card notice" role="status">${what}</p>`;
}

function errorOf(refused: ActionRefusal | undefined, action: TaskAction): { error?: Html; values: Record<string, string> } {
  if (refused?.action !== action) return { values: {} };
  return { error: html`<p class="error" role="alert">${refused.error}</p>`, values: refused.values };
}

export function taskActionForms(d: { task: Task; href: string; csrf: string; refused?: ActionRefusal }): Html {
  const { task: t } = d;
  const moves = offeredMoves(t);
  const status = errorOf(d.refused, 'status');
  const assign = errorOf(d.refused, 'assign');
  const comment = errorOf(d.refused, 'comment');
  const token = html`<input type="hidden" name="csrf" value="${d.csrf}">`;
  // The version the page showed: a move or an assignment made on a stale page is refused (409), not applied.
  const version = html`<input type="hidden" name="version" value="${t.version}">`;
  return html`<div class="task-actions" role="group" aria-label="Change this task">
    <form class="task-action" method="post" action="${d.href}/status" data-action="status">
      ${token}${version}${status.error ?? ''}
      ${moves.length ? html`<label>Move to <select name="status">${moves.map((s) => html`<option value="${s}" ${s === status.values.status ? 'selected' : ''}>${STATUS_LABELS[s] ?? s}</option>`)}</select></label>
        <label class="grow">Note <input name="note" value="${status.values.note ?? ''}" maxlength="${LIMITS.comment}" placeholder="why (required for blocked)"></label>
        <button type="submit">Move</button>`
      : html`<p class="muted small">No move from ${t.status} without an assignee: assign it first.</p>`}
    </form>
    <form class="task-action" method="post" action="${d.href}/assign" data-action="assign">
      ${token}${version}${assign.error ?? ''}
      <label class="grow">${t.assignee ? 'Reassign to' : 'Assign to'} <input name="assignee" value="${assign.values.assignee ?? ''}" placeholder="name, localpart, me or nobody" required></label>
      <button type="submit">${t.assignee ? 'Reassign' : 'Assign'}</button>
    </form>
    <form class="task-action comment" method="post" action="${d.href}/comment" data-action="comment">
      ${token}${comment.error ?? ''}
      <label class="grow">Comment <textarea name="text" rows="2" maxlength="${LIMITS.comment}" required>${comment.values.text ?? ''}</textarea></label>
      <button type="submit">Comment</button>
    </form>
    <p class="muted small">You act as yourself: the assignee, the creator and their managers may move or reassign it; anyone may comment. People are told in Matrix as from chat.</p>
  </div>`;
}
