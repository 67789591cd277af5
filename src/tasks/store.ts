import type { Db } from '../store/sqlite.ts';
import { TASK_STATUSES, type Task, type TaskEvent, type TaskKind, type TaskPriority, type TaskStatus } from './model.ts';

/**
 * The tasks, in the router's SQLite (the one writer of the fleet). Tables are created here, not in the router's
 * migration list, so the tasks component owns its schema; IF NOT EXISTS makes opening idempotent.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('epic', 'feature', 'story', 'task')),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('inbox', 'assigned', 'in_progress', 'review', 'done', 'blocked')),
    blocked_reason TEXT,
    parent_id INTEGER REFERENCES tasks (id),
    assignee TEXT,
    creator TEXT NOT NULL,
    priority TEXT NOT NULL DEFAULT 'normal',
    due TEXT,
    origin_room TEXT, origin_event TEXT,
    assigned_room TEXT, assigned_event TEXT, assigned_by TEXT,
    -- A create retried by the same caller in the same step of the same conversation finds the first one.
    request_key TEXT UNIQUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS tasks_assignee ON tasks (assignee, status);
  CREATE INDEX IF NOT EXISTS tasks_parent ON tasks (parent_id);
  CREATE TABLE IF NOT EXISTS task_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks (id),
    at INTEGER NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('created', 'status', 'assigned', 'comment')),
    from_value TEXT, to_value TEXT, note TEXT
  );
  CREATE INDEX IF NOT EXISTS task_history_task ON task_history (task_id, id);
  -- Messages a change owes someone (assignment, done, blocked), written in the change's own transaction and sent by
  -- the notifier until they are posted: a crash between the change and the post loses no notice.
  CREATE TABLE IF NOT EXISTS task_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks (id),
    kind TEXT NOT NULL CHECK (kind IN ('assigned', 'done', 'blocked')),
    speaker TEXT NOT NULL, recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    conversation TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT
  );
  CREATE INDEX IF NOT EXISTS task_notifications_unsent ON task_notifications (sent_at, id);
  -- Direct chats the notifier made between a speaker and a recipient (the bot and a person, mostly).
  CREATE TABLE IF NOT EXISTS task_dm_rooms (a TEXT NOT NULL, b TEXT NOT NULL, room_id TEXT NOT NULL, PRIMARY KEY (a, b));
`;

interface TaskRow {
  id: number; kind: TaskKind; title: string; description: string; status: TaskStatus; blocked_reason: string | null;
  parent_id: number | null; assignee: string | null; creator: string; priority: TaskPriority; due: string | null;
  origin_room: string | null; origin_event: string | null; assigned_room: string | null; assigned_event: string | null;
  assigned_by: string | null; version: number; created_at: number; updated_at: number;
}

const toTask = (r: TaskRow): Task => ({
  id: r.id, kind: r.kind, title: r.title, description: r.description, status: r.status, blockedReason: r.blocked_reason,
  parentId: r.parent_id, assignee: r.assignee, creator: r.creator, priority: r.priority, due: r.due,
  originRoom: r.origin_room, originEvent: r.origin_event, assignedRoom: r.assigned_room, assignedEvent: r.assigned_event,
  assignedBy: r.assigned_by, version: r.version, createdAt: r.created_at, updatedAt: r.updated_at,
});

export interface NewTask {
  kind: TaskKind; title: string; description: string; status: TaskStatus; parentId: number | null; assignee: string | null;
  creator: string; priority: TaskPriority; due: string | null; originRoom: string | null; originEvent: string | null;
  requestKey: string | null;
}

export interface TaskFilter {
  /** Any of these people (one JSON parameter, so a department of thousands is still one statement). */
  assignees?: readonly string[];
  /** Only tasks nobody has (the inbox). */
  unassigned?: boolean;
  creator?: string;
  statuses?: readonly TaskStatus[];
  parentId?: number;
  /** Words that must all appear in the title or description (case-insensitive). */
  text?: string;
  limit?: number;
  offset?: number;
  /** Done tasks newest first (a board), instead of in id order after the open ones. */
  doneNewestFirst?: boolean;
}

/** The fields a change may set; the version it was read at must still be current. */
export type TaskChange = Partial<Pick<Task, 'status' | 'blockedReason' | 'assignee'>>;

export interface Notification {
  id: number; taskId: number; kind: 'assigned' | 'done' | 'blocked'; speaker: string; recipient: string; body: string;
  conversation: string | null; attempts: number;
}

const COLUMN: Record<keyof TaskChange, string> = {
  status: 'status', blockedReason: 'blocked_reason', assignee: 'assignee',
};

export class TaskStore {
  readonly db: Db;
  private readonly s;

  constructor(db: Db) {
    this.db = db;
    db.exec(SCHEMA);
    this.s = {
      get: db.prepare<[number], TaskRow>('SELECT * FROM tasks WHERE id = ?'),
      byKey: db.prepare<[string], TaskRow>('SELECT * FROM tasks WHERE request_key = ?'),
      insert: db.prepare(`INSERT INTO tasks (kind, title, description, status, parent_id, assignee, creator, priority, due,
        origin_room, origin_event, request_key, created_at, updated_at)
        VALUES (@kind, @title, @description, @status, @parentId, @assignee, @creator, @priority, @due, @originRoom, @originEvent,
        @requestKey, @now, @now)`),
      history: db.prepare(`INSERT INTO task_history (task_id, at, actor, action, from_value, to_value, note) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      historyOf: db.prepare<[number, number], { task_id: number; at: number; actor: string; action: TaskEvent['action']; from_value: string | null; to_value: string | null; note: string | null }>(
        'SELECT * FROM task_history WHERE task_id = ? ORDER BY id DESC LIMIT ?'),
      openOf: db.prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM tasks WHERE assignee = ? AND status != 'done'`),
      children: db.prepare<[number], TaskRow>('SELECT * FROM tasks WHERE parent_id = ? ORDER BY id'),
      notify: db.prepare(`INSERT INTO task_notifications (task_id, kind, speaker, recipient, body, conversation, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      unsent: db.prepare<[number], { id: number; task_id: number; kind: Notification['kind']; speaker: string; recipient: string; body: string; conversation: string | null; attempts: number }>(
        'SELECT id, task_id, kind, speaker, recipient, body, conversation, attempts FROM task_notifications WHERE sent_at IS NULL ORDER BY id LIMIT ?'),
      sent: db.prepare('UPDATE task_notifications SET sent_at = ?, last_error = NULL WHERE id = ?'),
      failed: db.prepare('UPDATE task_notifications SET attempts = attempts + 1, last_error = ? WHERE id = ?'),
      assignmentMessage: db.prepare('UPDATE tasks SET assigned_room = ?, assigned_event = ?, assigned_by = ? WHERE id = ?'),
      dmRoom: db.prepare<[string, string], { room_id: string }>('SELECT room_id FROM task_dm_rooms WHERE a = ? AND b = ?'),
      saveDm: db.prepare('INSERT OR REPLACE INTO task_dm_rooms (a, b, room_id) VALUES (?, ?, ?)'),
      forgetDm: db.prepare('DELETE FROM task_dm_rooms WHERE a = ? AND b = ? AND room_id = ?'),
    };
  }

  get(id: number): Task | undefined {
    const row = this.s.get.get(id);
    return row ? toTask(row) : undefined;
  }

  byRequestKey(key: string): Task | undefined {
    const row = this.s.byKey.get(key);
    return row ? toTask(row) : undefined;
  }

  insert(t: NewTask, now = Date.now()): Task {
    const { lastInsertRowid } = this.s.insert.run({ ...t, now });
    const id = Number(lastInsertRowid);
    this.record({ taskId: id, at: now, actor: t.creator, action: 'created', from: null, to: t.status, note: t.title });
    return this.get(id)!;
  }

  /**
   * Applies a change only if the task is still at `version` (what the caller read): of two callers racing from the
   * same version, exactly one UPDATE matches a row; the other gets undefined and must re-read.
   */
  update(id: number, version: number, change: TaskChange, now = Date.now()): Task | undefined {
    const keys = Object.keys(change) as (keyof TaskChange)[];
    const sets = keys.map((k) => `${COLUMN[k]} = @${k}`).join(', ');
    const res = this.db.prepare(`UPDATE tasks SET ${sets}${sets ? ', ' : ''}version = version + 1, updated_at = @now WHERE id = @id AND version = @version`)
      .run({ ...change, now, id, version });
    return res.changes === 1 ? this.get(id) : undefined;
  }

  list(f: TaskFilter): Task[] {
    const { sql, params } = whereOf(f);
    if (sql === undefined) return [];
    const doneOrder = f.doneNewestFirst ? "CASE WHEN status = 'done' THEN -updated_at ELSE 0 END, " : '';
    const rows = this.db.prepare(`SELECT * FROM tasks${sql}
      ORDER BY status = 'done', ${doneOrder}CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, id
      LIMIT ? OFFSET ?`).all(...params, Math.min(f.limit ?? 50, 500), f.offset ?? 0) as TaskRow[];
    return rows.map(toTask);
  }

  /** How many tasks match, per status (every status present, 0 when none). */
  countByStatus(f: Omit<TaskFilter, 'limit' | 'offset'>): Record<TaskStatus, number> {
    const counts = Object.fromEntries(TASK_STATUSES.map((st) => [st, 0])) as Record<TaskStatus, number>;
    const { sql, params } = whereOf(f);
    if (sql === undefined) return counts;
    const rows = this.db.prepare(`SELECT status, COUNT(*) AS n FROM tasks${sql} GROUP BY status`).all(...params) as Array<{ status: TaskStatus; n: number }>;
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  children(id: number): Task[] {
    return this.s.children.all(id).map(toTask);
  }

  record(e: TaskEvent): void {
    this.s.history.run(e.taskId, e.at, e.actor, e.action, e.from, e.to, e.note);
  }

  history(taskId: number, limit = 20): TaskEvent[] {
    return this.s.historyOf.all(taskId, limit).reverse().map((r) => ({
      taskId: r.task_id, at: r.at, actor: r.actor, action: r.action, from: r.from_value, to: r.to_value, note: r.note,
    }));
  }

  /** Tasks assigned to an agent and not done: the heartbeat wakes only agents with some. */
  openTasksOf(agentId: string): number {
    return this.s.openOf.get(agentId)?.n ?? 0;
  }

  enqueueNotification(n: Omit<Notification, 'id' | 'attempts'>, now = Date.now()): void {
    this.s.notify.run(n.taskId, n.kind, n.speaker, n.recipient, n.body, n.conversation, now);
  }

  unsentNotifications(limit = 20): Notification[] {
    return this.s.unsent.all(limit).map((r) => ({ id: r.id, taskId: r.task_id, kind: r.kind, speaker: r.speaker, recipient: r.recipient,
      body: r.body, conversation: r.conversation, attempts: r.attempts }));
  }

  markSent(id: number, now = Date.now()): void {
    this.s.sent.run(now, id);
  }

  markFailed(id: number, error: string): void {
    this.s.failed.run(error.slice(0, 500), id);
  }

  /** Where the assignee was told (not a change of the task: the version stays, so no caller loses a race to it). */
  noteAssignmentMessage(id: number, roomId: string, eventId: string, by: string): void {
    this.s.assignmentMessage.run(roomId, eventId, by, id);
  }

  dmRoom(a: string, b: string): string | undefined {
    return this.s.dmRoom.get(a, b)?.room_id;
  }

  saveDmRoom(a: string, b: string, roomId: string): void {
    this.s.saveDm.run(a, b, roomId);
  }

  /** The pair's direct chat was left: the next notice makes a new one (only this room is forgotten, not a newer one). */
  forgetDmRoom(a: string, b: string, roomId: string): void {
    this.s.forgetDm.run(a, b, roomId);
  }

  /** Runs `fn` in one transaction: a change, its history and the notices it owes commit together. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

/** The WHERE clause of a filter; sql undefined when nothing can match (an empty list of assignees). */
function whereOf(f: TaskFilter): { sql: string | undefined; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.assignees) {
    if (f.assignees.length === 0) return { sql: undefined, params };
    where.push('assignee IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(f.assignees));
  }
  if (f.unassigned) where.push('assignee IS NULL');
  if (f.creator) { where.push('creator = ?'); params.push(f.creator); }
  if (f.statuses?.length) {
    where.push(`status IN (${f.statuses.map(() => '?').join(', ')})`);
    params.push(...f.statuses);
  }
  if (f.parentId !== undefined) { where.push('parent_id = ?'); params.push(f.parentId); }
  for (const word of (f.text ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8)) {
    where.push('(instr(lower(title), ?) > 0 OR instr(lower(description), ?) > 0)');
    params.push(word, word);
  }
  return { sql: where.length ? ` WHERE ${where.join(' AND ')}` : '', params };
}
