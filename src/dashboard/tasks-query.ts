import type { OrgDirectory } from '../org/directory.ts';
import { parseTaskRef, TASK_STATUSES, type Task, type TaskStatus } from '../tasks/model.ts';
import type { TaskFilter, TaskStore } from '../tasks/store.ts';

/**
 * The board's filters (query strings → the store's filter) and its reads: counts per status, to say "N more", and
 * windows (limit + offset) of one filter, to page a board over thousands of tasks.
 */

export interface BoardFilter {
  /** One person's matrix id, or null for tasks nobody has (the inbox). */
  assignee?: string | null;
  /** A department's name as the org spells it; matches tasks assigned to its people. */
  department?: string;
  text?: string;
  statuses?: readonly TaskStatus[];
  /** Children of this task. */
  parent?: number;
}

/** A filter from query strings, or why it cannot be one (an unknown person or department). */
export type ParsedFilter = { ok: true; filter: BoardFilter } | { ok: false; problem: string; filter: BoardFilter };

export interface FilterParams { assignee?: string; department?: string; q?: string; status?: string; parent?: string }

export function parseBoardFilter(org: OrgDirectory, me: string, p: FilterParams): ParsedFilter {
  const filter: BoardFilter = {};
  const problems: string[] = [];
  const assignee = p.assignee?.trim();
  if (assignee) {
    if (/^(me|mine)$/i.test(assignee)) filter.assignee = me;
    else if (/^(nobody|none|unassigned)$/i.test(assignee)) filter.assignee = null;
    else {
      const person = org.resolve(assignee);
      if (person) filter.assignee = person.matrixId;
      else problems.push(`nobody in the org is "${assignee}" (use a full name, a localpart or a matrix id)`);
    }
  }
  const department = p.department?.trim();
  if (department) {
    const people = org.department(department);
    if (people.length) filter.department = people[0]!.department;
    else problems.push(`there is no department "${department}"`);
  }
  const parent = p.parent?.trim();
  if (parent) {
    const id = parseTaskRef(parent);
    if (id === undefined) problems.push(`the parent is a task id like T-3, not "${parent}"`);
    else filter.parent = id;
  }
  const text = p.q?.trim();
  if (text) filter.text = text;
  const statuses = (p.status ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = statuses.filter((s) => !(TASK_STATUSES as readonly string[]).includes(s));
  if (unknown.length) problems.push(`status is one of ${TASK_STATUSES.join(', ')}, not ${unknown.join(', ')}`);
  else if (statuses.length) filter.statuses = statuses as TaskStatus[];
  return problems.length ? { ok: false, problem: problems.join('; '), filter } : { ok: true, filter };
}

/** The store's filter for a board filter (a department is its people). */
function storeFilter(org: OrgDirectory, f: BoardFilter): TaskFilter {
  return {
    ...(f.assignee === null ? { unassigned: true } : {}),
    ...(f.assignee ? { assignees: [f.assignee] } : {}),
    ...(f.department !== undefined ? { assignees: org.department(f.department).filter((p) => !f.assignee || p.matrixId === f.assignee).map((p) => p.matrixId) } : {}),
    ...(f.parent !== undefined ? { parentId: f.parent } : {}),
    ...(f.statuses?.length ? { statuses: f.statuses } : {}),
    ...(f.text ? { text: f.text } : {}),
  };
}

/** How many tasks match, per status (every status present, 0 when none). */
export const countByStatus = (store: TaskStore, org: OrgDirectory, f: BoardFilter): Record<TaskStatus, number> =>
  store.countByStatus(storeFilter(org, f));

export const countTasks = (store: TaskStore, org: OrgDirectory, f: BoardFilter): number =>
  Object.values(countByStatus(store, org, f)).reduce((a, b) => a + b, 0);

/**
 * Tasks `offset`…`offset + limit` of the filter: open ones by priority then age (the store's order), done ones newest
 * first (on a board the last finished matter, not the first).
 */
export const tasksWindow = (store: TaskStore, org: OrgDirectory, f: BoardFilter, limit: number, offset = 0): Task[] =>
  store.list({ ...storeFilter(org, f), limit, offset, doneNewestFirst: true });
