import type { ConversationRef } from '../agents/runtime.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';
import { LIMITS, parseDue, taskRef, transitionProblem, type Task, type TaskEvent, type TaskKind, type TaskPriority, type TaskStatus } from './model.ts';
import type { TaskStore } from './store.ts';

/** A refusal the caller should read (wrong input, not allowed, lost a race): never a crash. */
export class TaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskError';
  }
}

/**
 * Who acts. An agent acts from one of its turns (the conversation travels into the notices it causes, so hop counts
 * stay bounded); a human acts from the admin room or the dashboard (origin: where to tell them the outcome).
 */
export interface Actor {
  id: string;
  conversation?: ConversationRef;
  origin?: { roomId: string; eventId: string };
}

export interface CreateInput {
  kind?: TaskKind;
  title: string;
  description?: string;
  parent?: number;
  /** Matrix id; absent: the task waits in the inbox for someone to take it. */
  assignee?: string;
  priority?: TaskPriority;
  due?: string;
  /** Makes a retried create (a redone turn) return the first task instead of a second one. */
  requestKey?: string;
}

export type ListScope = { mine: true } | { team: true } | { created: true } | { assignee: string } | { all: true };

export interface TaskDetail { task: Task; children: Task[]; history: TaskEvent[] }

/**
 * The operations on tasks and who may do them; humans and agents alike are creators and assignees. Every change
 * runs in one transaction with its history and the notices it owes (store.enqueueNotification), sent afterwards
 * by the notifier: assignment tells the assignee (their turn starts through normal routing), done and blocked tell
 * the creator.
 *
 * Rules: anyone of the org reads everything and may create and comment. An agent may assign to itself, its
 * reports (at any depth), its peers and its manager; a human to anyone. Status and assignment change for the
 * assignee, the creator, and the managers (at any depth) of either.
 */
export class TaskService {
  readonly store: TaskStore;
  private readonly org: OrgDirectory;
  private readonly botId: string;
  private readonly onNotice: () => void;

  constructor(opts: { store: TaskStore; org: OrgDirectory; botId: string; onNotice?: () => void }) {
    this.store = opts.store;
    this.org = opts.org;
    this.botId = opts.botId;
    this.onNotice = opts.onNotice ?? (() => {});
  }

  create(actor: Actor, input: CreateInput): Task {
    const who = this.person(actor.id);
    const title = input.title?.trim();
    if (!title) throw new TaskError('a task needs a title');
    if (title.length > LIMITS.title) throw new TaskError(`the title is longer than ${LIMITS.title} characters`);
    const description = (input.description ?? '').trim();
    if (description.length > LIMITS.description) throw new TaskError(`the description is longer than ${LIMITS.description} characters`);
    const due = input.due === undefined || input.due === '' ? null : parseDue(input.due);
    if (due === undefined) throw new TaskError('due must be a date, YYYY-MM-DD');
    if (input.parent !== undefined && !this.store.get(input.parent)) throw new TaskError(`there is no parent ${taskRef(input.parent)}`);
    const assignee = input.assignee === undefined ? null : this.assignable(who, input.assignee);
    const key = input.requestKey ? `${actor.id}\0${input.requestKey}` : null;
    const created = this.store.transaction(() => {
      const earlier = key ? this.store.byRequestKey(key) : undefined;
      if (earlier) return { task: earlier, fresh: false };
      const task = this.store.insert({
        kind: input.kind ?? 'task', title, description, status: assignee ? 'assigned' : 'inbox', parentId: input.parent ?? null,
        assignee: assignee?.matrixId ?? null, creator: who.matrixId, priority: input.priority ?? 'normal', due,
        originRoom: actor.origin?.roomId ?? null, originEvent: actor.origin?.eventId ?? null, requestKey: key,
      });
      if (assignee && assignee.matrixId !== who.matrixId) this.notify(task, 'assigned', who, assignee, actor);
      return { task, fresh: true };
    });
    if (created.fresh) this.onNotice();
    return created.task;
  }

  get(id: number): TaskDetail {
    const task = this.existing(id);
    return { task, children: this.store.children(id), history: this.store.history(id) };
  }

  list(actorId: string, scope: ListScope, opts: { statuses?: TaskStatus[]; text?: string; open?: boolean; limit?: number } = {}): Task[] {
    const statuses = opts.statuses ?? (opts.open ? (['inbox', 'assigned', 'in_progress', 'review', 'blocked'] as TaskStatus[]) : undefined);
    const common = { ...(statuses ? { statuses } : {}), ...(opts.text ? { text: opts.text } : {}), limit: opts.limit ?? 50 };
    if ('mine' in scope) return this.store.list({ assignees: [actorId], ...common });
    if ('created' in scope) return this.store.list({ creator: actorId, ...common });
    if ('assignee' in scope) return this.store.list({ assignees: [scope.assignee], ...common });
    if ('team' in scope) return this.store.list({ assignees: this.teamOf(actorId), ...common });
    return this.store.list(common);
  }

  /** Moves a task along the flow (model.ts rules); `reason` for blocked, `note` goes into the history. */
  setStatus(actor: Actor, id: number, to: TaskStatus, opts: { reason?: string; note?: string } = {}): Task {
    const who = this.person(actor.id);
    const note = opts.note?.trim().slice(0, LIMITS.comment) || null;
    const reason = opts.reason?.trim().slice(0, LIMITS.reason);
    const task = this.change(id, (t) => {
      this.mayChange(who, t);
      const problem = transitionProblem(t.status, to, t.assignee !== null, reason);
      if (problem) throw new TaskError(`${taskRef(t.id)}: ${problem}`);
      return { status: to, blockedReason: to === 'blocked' ? reason! : null };
    }, (before, after) => {
      this.store.record({ taskId: id, at: after.updatedAt, actor: who.matrixId, action: 'status', from: before.status, to, note: to === 'blocked' ? reason! : note });
      const creator = this.org.get(after.creator);
      if ((to === 'done' || to === 'blocked') && creator && creator.matrixId !== who.matrixId) this.notify(after, to, who, creator, actor, note);
    });
    this.onNotice();
    return task;
  }

  /**
   * Takes a task nobody has (or that is assigned to the caller) and starts it. Atomic: of two agents racing for one
   * task, one UPDATE matches the version both read and wins; the other is told who has it.
   */
  take(actor: Actor, id: number): Task {
    const who = this.person(actor.id);
    return this.change(id, (t) => {
      if (t.assignee && t.assignee !== who.matrixId) throw new TaskError(`${taskRef(t.id)} is already taken by ${this.nameOf(t.assignee)}`);
      if (t.status === 'done' || t.status === 'blocked' || t.status === 'review') throw new TaskError(`${taskRef(t.id)} is ${t.status}: it cannot be taken`);
      if (t.status === 'in_progress') throw new TaskError(`${taskRef(t.id)}: you already work on it`);
      return { assignee: who.matrixId, status: 'in_progress' as const };
    }, (before, after) => {
      this.store.record({ taskId: id, at: after.updatedAt, actor: who.matrixId, action: 'assigned', from: before.assignee, to: who.matrixId, note: 'taken' });
      this.store.record({ taskId: id, at: after.updatedAt, actor: who.matrixId, action: 'status', from: before.status, to: 'in_progress', note: null });
    });
  }

  /** Assigns, reassigns or (assignee null) puts a task back into the inbox. */
  assign(actor: Actor, id: number, assigneeRef: string | null): Task {
    const who = this.person(actor.id);
    const target = assigneeRef === null ? null : this.assignable(who, assigneeRef);
    const task = this.change(id, (t) => {
      this.mayChange(who, t);
      if (t.status === 'done') throw new TaskError(`${taskRef(t.id)} is done; reopen it (status in_progress) before reassigning`);
      if ((target?.matrixId ?? null) === t.assignee) throw new TaskError(`${taskRef(t.id)} is already ${target ? `assigned to ${target.name}` : 'unassigned'}`);
      const status: TaskStatus = target === null ? 'inbox' : t.status === 'inbox' ? 'assigned' : t.status;
      return { assignee: target?.matrixId ?? null, status };
    }, (before, after) => {
      this.store.record({ taskId: id, at: after.updatedAt, actor: who.matrixId, action: 'assigned', from: before.assignee, to: after.assignee, note: null });
      if (before.status !== after.status) this.store.record({ taskId: id, at: after.updatedAt, actor: who.matrixId, action: 'status', from: before.status, to: after.status, note: null });
      if (target && target.matrixId !== who.matrixId) this.notify(after, 'assigned', who, target, actor);
    });
    this.onNotice();
    return task;
  }

  comment(actor: Actor, id: number, text: string): Task {
    const who = this.person(actor.id);
    const body = text.trim();
    if (!body) throw new TaskError('an empty comment says nothing');
    if (body.length > LIMITS.comment) throw new TaskError(`a comment is at most ${LIMITS.comment} characters`);
    const task = this.existing(id);
    this.store.record({ taskId: id, at: Date.now(), actor: who.matrixId, action: 'comment', from: null, to: null, note: body });
    return task;
  }

  openTasksOf(agentId: string): number {
    return this.store.openTasksOf(agentId);
  }

  nameOf(id: string): string {
    return this.org.get(id)?.name ?? id;
  }

  /** Reads, checks, writes at the version read; a concurrent writer in between makes the caller re-check once. */
  private change(id: number, decide: (t: Task) => Parameters<TaskStore['update']>[2], after: (before: Task, after: Task) => void): Task {
    for (let attempt = 0; attempt < 3; attempt++) {
      const updated = this.store.transaction(() => {
        const before = this.existing(id);
        const next = this.store.update(id, before.version, decide(before));
        if (next) after(before, next);
        return next;
      });
      if (updated) return updated;
    }
    throw new TaskError(`${taskRef(id)} kept changing under us; read it again`);
  }

  private existing(id: number): Task {
    const task = this.store.get(id);
    if (!task) throw new TaskError(`there is no ${taskRef(id)}`);
    return task;
  }

  private person(id: string): Person {
    const p = this.org.get(id);
    if (!p) throw new TaskError(`${id} is not in the org`);
    return p;
  }

  private resolve(ref: string): Person {
    const p = this.org.resolve(ref) ?? this.unique(this.org.findByName(ref));
    if (!p) throw new TaskError(`nobody in the org is "${ref}" (use a full name or a matrix id)`);
    return p;
  }

  private unique(found: Person[]): Person | undefined {
    if (found.length > 1) throw new TaskError(`"${found[0]!.name}" is several people: use a matrix id (${found.slice(0, 5).map((p) => p.matrixId).join(', ')})`);
    return found[0];
  }

  /** The assignee named by `ref`, if `who` may give them work. */
  private assignable(who: Person, ref: string): Person {
    const target = this.resolve(ref);
    if (who.human || target.matrixId === who.matrixId) return target;
    const below = (p: Person) => this.org.chain(p.matrixId).some((m) => m.matrixId === who.matrixId);
    const peer = target.reportsTo !== null && target.reportsTo === who.reportsTo;
    if (below(target) || peer || target.matrixId === who.reportsTo) return target;
    throw new TaskError(`${who.name} may assign tasks to themself, their reports, their peers and their manager, not to ${target.name}`);
  }

  private mayChange(who: Person, t: Task): void {
    const involved = [t.assignee, t.creator].filter((x): x is string => x !== null);
    if (involved.includes(who.matrixId)) return;
    if (involved.some((id) => this.org.chain(id).some((m) => m.matrixId === who.matrixId))) return;
    throw new TaskError(`${taskRef(t.id)} belongs to ${involved.map((id) => this.nameOf(id)).join(' and ')}: only they and their managers may change it`);
  }

  /** The people whose tasks "my team" lists: the caller's reports, or the caller's peers when it has none. */
  private teamOf(id: string): string[] {
    const reports = this.org.reports(id);
    if (reports.length > 0) return [id, ...reports.map((p) => p.matrixId)];
    const manager = this.org.manager(id);
    return manager ? [manager.matrixId, ...this.org.reports(manager.matrixId).map((p) => p.matrixId)] : [id];
  }

  /**
   * Queues the notice a change owes `to`. Between agents the acting agent speaks (a colleague's message, carrying
   * the conversation so hops stay bounded); when a human acts, or a human is told, the fleet bot speaks.
   */
  private notify(t: Task, kind: 'assigned' | 'done' | 'blocked', who: Person, to: Person, actor: Actor, note?: string | null): void {
    const speaker = !who.human && !to.human ? who.matrixId : this.botId;
    const ref = `${taskRef(t.id)} "${t.title}"`;
    const parent = t.parentId !== null ? this.store.get(t.parentId) : undefined;
    const body = kind === 'assigned'
      ? [`${who.name} assigned you ${ref} (${t.kind}, priority ${t.priority}${t.due ? `, due ${t.due}` : ''}${parent ? `, part of ${taskRef(parent.id)} "${parent.title}"` : ''}).`,
        t.description ? `\n${t.description.slice(0, 1000)}` : '',
        to.human ? '' : `\nUse the tasks tool: get ${taskRef(t.id)} for details, and set its status as you work (in_progress, review, done, or blocked with a reason).`].join('')
      : kind === 'done'
        ? `${ref}, which you created, is done (${who.name}).${note ? ` ${note}` : ''}`
        : `${ref}, which you created, is blocked (${who.name}): ${t.blockedReason ?? ''}`;
    this.store.enqueueNotification({
      taskId: t.id, kind, speaker, recipient: to.matrixId, body,
      conversation: speaker !== this.botId && actor.conversation ? JSON.stringify(actor.conversation) : null,
    });
  }
}
