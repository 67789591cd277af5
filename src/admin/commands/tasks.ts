import { answer, deny, refuse, type Answer } from '../answer.ts';
import type { AdminContext, CommandSpec, Invocation } from '../context.ts';
import { localpart } from '../format.ts';
import { resolvePerson } from '../targets.ts';
import { parseTaskRef, taskRef, TASK_KINDS, TASK_PRIORITIES, TASK_STATUSES, type Task, type TaskKind, type TaskPriority, type TaskStatus } from '../../tasks/model.ts';
import { historyLine } from '../../tasks/format.ts';
import { TaskError, type Actor, type TaskService } from '../../tasks/service.ts';

const USAGE = [
  'tasks [who|all|mine]: open tasks (default: yours)',
  'tasks show T-n',
  'tasks create <title> [--for <who>] [--kind epic|feature|story|task] [--parent T-n] [--priority low|normal|high|urgent] [--due YYYY-MM-DD] [--description <text>]',
  'tasks assign T-n <who|me|nobody>',
  `tasks status T-n <${TASK_STATUSES.join('|')}> [reason or note]`,
  'tasks comment T-n <text>',
].join('\n');

/** `--flag words…` options: each runs until the next flag. The words before the first flag are the rest. */
function options(words: string[]): { rest: string[]; flags: Map<string, string> } {
  const flags = new Map<string, string>();
  const rest: string[] = [];
  let current: string | undefined;
  for (const w of words) {
    if (/^--[a-z]+$/.test(w)) {
      current = w.slice(2);
      flags.set(current, '');
    } else if (current) flags.set(current, `${flags.get(current)} ${w}`.trim());
    else rest.push(w);
  }
  return { rest, flags };
}

const table = (tasks: Task[], nameOf: (id: string) => string, page: number) => ({
  headers: ['id', 'status', 'kind', 'priority', 'title', 'assignee', 'due'], page,
  rows: tasks.map((t) => [taskRef(t.id), t.status === 'blocked' && t.blockedReason ? `blocked: ${t.blockedReason}` : t.status, t.kind, t.priority,
    t.title, t.assignee ? nameOf(t.assignee) : '—', t.due ?? '']),
});

/**
 * `tasks` in #fleet-admin: every human of the org reads; a human of the org changes tasks as themself (the same
 * rules as agents' tasks tool: service.ts). `./fleet admin` (no person) may only read.
 */
export const taskCommands: CommandSpec[] = [{
  name: 'tasks', category: 'Work', args: '[who] | show|create|assign|status|comment …', changes: false,
  summary: 'the task tracker: open tasks of someone, or create, assign, move and comment on tasks',
  run(ctx, call) {
    const service = ctx.tasks;
    if (!service) return refuse('Tasks are not available on this router.');
    const nameOf = (id: string) => ctx.org.get(id)?.name ?? localpart(id);
    const [sub, ...rest] = call.args;
    try {
      switch (sub?.toLowerCase()) {
        case 'show': return show(service, rest, nameOf);
        case 'create': case 'assign': case 'status': case 'comment': return change(ctx, service, sub.toLowerCase(), rest, call, nameOf);
        case 'help': return answer([USAGE]);
        default: return list(ctx, service, call, nameOf);
      }
    } catch (err) {
      if (err instanceof TaskError) return refuse(err.message);
      throw err;
    }
  },
}];

function list(ctx: AdminContext, service: TaskService, call: Invocation, nameOf: (id: string) => string): Answer {
  const ref = call.args.join(' ').trim();
  if (ref.toLowerCase() === 'all') {
    const open = service.list(call.caller.id, { all: true }, { open: true, limit: 500 });
    return answer([open.length ? `${open.length} open task(s):` : 'No open tasks.', ...(open.length ? [table(open, nameOf, call.page)] : [])]);
  }
  let who = call.caller.id;
  if (ref && ref.toLowerCase() !== 'mine') {
    const found = resolvePerson(ctx.org, ref);
    if ('error' in found) return refuse(found.error);
    who = found.people[0]!.matrixId;
  } else if (!ctx.org.get(who)) {
    return refuse(`Say whose tasks: "tasks <who>" or "tasks all".\n${USAGE}`);
  }
  const open = service.list(who, { assignee: who }, { open: true, limit: 500 });
  const name = nameOf(who);
  return answer([open.length ? `${name}: ${open.length} open task(s).` : `${name} has no open tasks.`, ...(open.length ? [table(open, nameOf, call.page)] : [])]);
}

function show(service: TaskService, args: string[], nameOf: (id: string) => string): Answer {
  const id = parseTaskRef(args[0] ?? '');
  if (id === undefined) return refuse('Which task? "tasks show T-12".');
  const { task, children, history } = service.get(id);
  return answer([
    [`${taskRef(task.id)} ${task.kind} "${task.title}": ${task.status}${task.blockedReason ? ` (${task.blockedReason})` : ''}`,
      `assignee ${task.assignee ? nameOf(task.assignee) : 'nobody'} · created by ${nameOf(task.creator)} · priority ${task.priority}${task.due ? ` · due ${task.due}` : ''}${task.parentId ? ` · part of ${taskRef(task.parentId)}` : ''}`,
      ...(task.description ? [task.description] : [])].join('\n'),
    ...(children.length ? ['Children:', table(children, nameOf, 1)] : []),
    ...(history.length ? ['History:', history.map((e) => historyLine(e, nameOf)).join('\n')] : []),
  ]);
}

function change(ctx: AdminContext, service: TaskService, sub: string, args: string[], call: Invocation, nameOf: (id: string) => string): Answer {
  // Humans act as themselves: `./fleet admin` holds the fleet secret but is nobody in the org.
  if (!ctx.org.get(call.caller.id)?.human) return deny(`"tasks ${sub}" is for humans of the org, typed as themselves in Matrix. Nothing was done.`);
  const actor: Actor = { id: call.caller.id, ...(call.caller.where ? { origin: call.caller.where } : {}) };
  const who = (ref: string): string => {
    if (/^(me|myself)$/i.test(ref)) return call.caller.id;
    const found = resolvePerson(ctx.org, ref);
    if ('error' in found) throw new TaskError(found.error);
    return found.people[0]!.matrixId;
  };
  if (sub === 'create') {
    const { rest, flags } = options(args);
    const kind = flags.get('kind');
    const priority = flags.get('priority');
    if (kind !== undefined && !(TASK_KINDS as readonly string[]).includes(kind)) return refuse(`--kind is one of ${TASK_KINDS.join(', ')}.`);
    if (priority !== undefined && !(TASK_PRIORITIES as readonly string[]).includes(priority)) return refuse(`--priority is one of ${TASK_PRIORITIES.join(', ')}.`);
    const parent = flags.has('parent') ? parseTaskRef(flags.get('parent')!) : undefined;
    if (flags.has('parent') && parent === undefined) return refuse('--parent takes a task id like T-3.');
    const task = service.create(actor, {
      title: rest.join(' '), ...(kind ? { kind: kind as TaskKind } : {}), ...(priority ? { priority: priority as TaskPriority } : {}),
      ...(flags.get('description') ? { description: flags.get('description')! } : {}), ...(flags.get('due') ? { due: flags.get('due')! } : {}),
      ...(parent ? { parent } : {}), ...(flags.get('for') ? { assignee: who(flags.get('for')!) } : {}),
      // A command event delivered again (the router restarted before marking it done) creates no second task.
      ...(call.caller.where ? { requestKey: call.caller.where.eventId } : {}),
    });
    return answer([`Created ${taskRef(task.id)} "${task.title}" (${task.kind}, ${task.status}${task.assignee ? `, for ${nameOf(task.assignee)}, who is told now` : ', in the inbox'}). You are told here when it is done.`]);
  }
  const id = parseTaskRef(args[0] ?? '');
  if (id === undefined) return refuse(`Which task? ${USAGE.split('\n').find((l) => l.startsWith(`tasks ${sub}`))}`);
  const text = args.slice(1).join(' ').trim();
  if (sub === 'assign') {
    if (!text) return refuse('Assign to whom? "tasks assign T-3 <who|me|nobody>".');
    const task = service.assign(actor, id, /^(nobody|none|inbox)$/i.test(text) ? null : who(text));
    return answer([`${taskRef(task.id)} is ${task.assignee ? `assigned to ${nameOf(task.assignee)} (${task.status})` : 'back in the inbox'}.`]);
  }
  if (sub === 'status') {
    const [status, ...words] = args.slice(1);
    if (!status || !(TASK_STATUSES as readonly string[]).includes(status)) return refuse(`The status is one of ${TASK_STATUSES.join(', ')}.`);
    const note = words.join(' ');
    const task = service.setStatus(actor, id, status as TaskStatus, status === 'blocked' ? { reason: note } : note ? { note } : {});
    return answer([`${taskRef(task.id)} is now ${task.status}.`]);
  }
  service.comment(actor, id, text);
  return answer([`Comment added to ${taskRef(id)}.`]);
}
