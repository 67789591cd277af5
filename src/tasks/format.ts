import { taskRef, type Task, type TaskEvent } from './model.ts';

type NameOf = (matrixId: string) => string;

/** One line per task, the unit of every list (tool, admin room). */
export function taskLine(t: Task, nameOf: NameOf): string {
  const who = t.assignee ? nameOf(t.assignee) : 'unassigned';
  const extra = [t.priority !== 'normal' ? t.priority : '', t.due ? `due ${t.due}` : '', t.parentId ? `in ${taskRef(t.parentId)}` : ''].filter(Boolean).join(', ');
  return `${taskRef(t.id)} [${t.status}${t.status === 'blocked' && t.blockedReason ? `: ${t.blockedReason}` : ''}] ${t.kind} "${t.title}" — ${who}${extra ? ` (${extra})` : ''}`;
}

/** A task with its children and recent history, for `get`. */
export function taskDetail(t: Task, children: Task[], history: TaskEvent[], nameOf: NameOf): string {
  return [
    taskLine(t, nameOf),
    `created by ${nameOf(t.creator)} on ${new Date(t.createdAt).toISOString().slice(0, 10)}`,
    ...(t.description ? [`description: ${t.description}`] : []),
    ...(children.length ? ['children:', ...children.map((c) => `  ${taskLine(c, nameOf)}`)] : []),
    ...(history.length ? ['history:', ...history.map((e) => `  ${historyLine(e, nameOf)}`)] : []),
  ].join('\n');
}

export function historyLine(e: TaskEvent, nameOf: NameOf): string {
  const when = new Date(e.at).toISOString().slice(0, 16).replace('T', ' ');
  const what = e.action === 'created' ? 'created it'
    : e.action === 'status' ? `${e.from} → ${e.to}`
      : e.action === 'assigned' ? `assigned ${e.from ? nameOf(e.from) : 'nobody'} → ${e.to ? nameOf(e.to) : 'nobody'}`
        : 'commented';
  return `${when} ${nameOf(e.actor)}: ${what}${e.note && e.action !== 'created' ? ` — ${e.note}` : ''}`;
}
