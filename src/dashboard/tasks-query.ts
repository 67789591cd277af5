import type { OrgDirectory } from '../org/directory.ts';
import { parseTaskRef, TASK_STATUSES, type Task, type TaskStatus } from '../tasks/model.ts';
import type { TaskStore } from '../tasks/store.ts';

/**
 * The board's reads of the tasks store: counts per status and windows (limit + offset) of one filter. The store's own
 * list() has neither a count nor an offset, and a board over thousands of tasks needs both to say "N more" and to
 * page; so this asks the same SQLite for ids and counts, and takes each task from store.get() (no second mapping of
 * rows). Text matching is the store's: every word in the title or description, case-insensitive, at most 8 words.
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

function where(org: OrgDirectory, f: BoardFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (f.assignee === null) clauses.push('assignee IS NULL');
  else if (f.assignee !== undefined) { clauses.push('assignee = ?'); params.push(f.assignee); }
  if (f.department !== undefined) {
    // One JSON parameter, not one per person: a department of thousands stays one statement.
    clauses.push('assignee IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(org.department(f.department).map((p) => p.matrixId)));
  }
  if (f.parent !== undefined) { clauses.push('parent_id = ?'); params.push(f.parent); }
  if (f.statuses?.length) {
    clauses.push(`status IN (${f.statuses.map(() => '?').join(', ')})`);
    params.push(...f.statuses);
  }
  for (const word of (f.text ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8)) {
    clauses.push('(instr(lower(title), ?) > 0 OR instr(lower(description), ?) > 0)');
    params.push(word, word);
  }
  return { sql: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}

/** How many tasks match, per status (every status present, 0 when none). */
export function countByStatus(store: TaskStore, org: OrgDirectory, f: BoardFilter): Record<TaskStatus, number> {
  const { sql, params } = where(org, f);
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  const rows = store.db.prepare(`SELECT status, COUNT(*) AS n FROM tasks${sql} GROUP BY status`).all(...params) as Array<{ status: TaskStatus; n: number }>;
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}

export const countTasks = (store: TaskStore, org: OrgDirectory, f: BoardFilter): number =>
  Object.values(countByStatus(store, org, f)).reduce((a, b) => a + b, 0);

/**
 * Tasks `offset`…`offset + limit` of the filter: open ones by priority then age (the store's order), done ones newest
 * first (on a board the last finished matter, not the first).
 */
export function tasksWindow(store: TaskStore, org: OrgDirectory, f: BoardFilter, limit: number, offset = 0): Task[] {
  const { sql, params } = where(org, f);
  const ids = store.db.prepare(`SELECT id FROM tasks${sql}
    ORDER BY status = 'done', CASE WHEN status = 'done' THEN -updated_at ELSE 0 END,
      CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, id
    LIMIT ? OFFSET ?`).all(...params, limit, offset) as Array<{ id: number }>;
  return ids.map((r) => store.get(r.id)).filter((t): t is Task => t !== undefined);
}
