/**
 * What a task is and how it may move. Pure: the store keeps tasks, the service decides who may do what; the rules
 * of the status flow live here so the tool, the admin command and the dashboard all refuse the same things.
 */

export const TASK_KINDS = ['epic', 'feature', 'story', 'task'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** The flow is inbox → assigned → in_progress → review → done; blocked (with a reason) can interrupt any open step. */
export const TASK_STATUSES = ['inbox', 'assigned', 'in_progress', 'review', 'done', 'blocked'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TASK_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

export interface Task {
  /** Numeric key; people see it as `T-<id>` (taskRef). */
  id: number;
  kind: TaskKind;
  title: string;
  description: string;
  status: TaskStatus;
  /** Why it is blocked (status blocked only). */
  blockedReason: string | null;
  parentId: number | null;
  /** Matrix id of whoever works on it; null while in the inbox. */
  assignee: string | null;
  /** Matrix id of the human or agent who created it. */
  creator: string;
  priority: TaskPriority;
  /** YYYY-MM-DD, or null. */
  due: string | null;
  /** Where a human asked for it (a room the bot answers in): the creator is told there when it is done. */
  originRoom: string | null;
  originEvent: string | null;
  /** The last message that told the assignee about it: the "done" notice answers it, so its author's reply goes home. */
  assignedRoom: string | null;
  assignedEvent: string | null;
  assignedBy: string | null;
  /** Bumped on every change; callers that saw an older version are refused (optimistic concurrency). */
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface TaskEvent {
  taskId: number;
  at: number;
  actor: string;
  action: 'created' | 'status' | 'assigned' | 'comment';
  from: string | null;
  to: string | null;
  note: string | null;
}

export const isOpen = (status: TaskStatus): boolean => status !== 'done';

/**
 * Allowed moves. Review may be skipped (in_progress → done): most tasks have no reviewer, and a mandatory step would
 * cost a model call per task. Starting may not be skipped (assigned → done): "done" without ever being worked on is
 * what a confused model says, and reopening (done → in_progress) is allowed for a task that was not really done.
 */
const MOVES: Record<TaskStatus, readonly TaskStatus[]> = {
  inbox: ['assigned', 'in_progress', 'blocked'],
  assigned: ['in_progress', 'inbox', 'blocked'],
  in_progress: ['review', 'done', 'assigned', 'blocked'],
  review: ['done', 'in_progress', 'blocked'],
  blocked: ['inbox', 'assigned', 'in_progress', 'review'],
  done: ['in_progress'],
};

/** Why `from → to` is not allowed for a task with or without an assignee, or undefined when it is. */
export function transitionProblem(from: TaskStatus, to: TaskStatus, hasAssignee: boolean, reason?: string): string | undefined {
  if (from === to) return `it is already ${to}`;
  if (!MOVES[from].includes(to)) {
    return `${from} → ${to} is not allowed (from ${from}: ${MOVES[from].join(', ')})`;
  }
  if (to === 'blocked' && !reason?.trim()) return 'blocked needs a reason';
  if (to === 'inbox' && hasAssignee) return 'a task with an assignee is not in the inbox: unassign it instead';
  if (to !== 'inbox' && to !== 'blocked' && !hasAssignee) return `${to} needs an assignee: assign it or take it first`;
  return undefined;
}

export const nextStatuses = (from: TaskStatus): readonly TaskStatus[] => MOVES[from];

/** `T-42` for task 42. */
export const taskRef = (id: number): string => `T-${id}`;

/** 42 from `T-42`, `t42`, `#42` or `42`; undefined for anything else. */
export function parseTaskRef(ref: string): number | undefined {
  const m = ref.trim().match(/^(?:t-?|#)?(\d{1,9})$/i);
  return m ? Number(m[1]) : undefined;
}

/** A due date as YYYY-MM-DD (a real date), or undefined. */
export function parseDue(raw: string): string | undefined {
  const m = raw.trim().match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (!m) return undefined;
  const d = new Date(`${m[0]}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === m[0] ? m[0] : undefined;
}

export const LIMITS = { title: 200, description: 4000, comment: 2000, reason: 500 } as const;
