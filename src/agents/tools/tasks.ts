import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseTaskRef, taskRef, TASK_KINDS, TASK_PRIORITIES, TASK_STATUSES } from '../../tasks/model.ts';
import { taskDetail, taskLine } from '../../tasks/format.ts';
import type { TaskOp } from '../../tasks/protocol.ts';
import { capText, ToolInputError, type AgentTool, type ToolContext } from './types.ts';

const ACTIONS = ['create', 'list', 'get', 'status', 'take', 'assign', 'comment'] as const;

const argsSchema = z.object({
  action: z.enum(ACTIONS),
  id: z.union([z.string(), z.number()]).optional(),
  kind: z.enum(TASK_KINDS).optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  parent: z.union([z.string(), z.number()]).optional(),
  assignee: z.string().optional(),
  priority: z.enum(TASK_PRIORITIES).optional(),
  due: z.string().optional(),
  status: z.enum(TASK_STATUSES).optional(),
  reason: z.string().optional(),
  note: z.string().optional(),
  text: z.string().optional(),
  scope: z.string().optional(),
  query: z.string().optional(),
});
type Args = z.infer<typeof argsSchema>;

const idOf = (raw: string | number | undefined, what = 'id'): number => {
  const id = raw === undefined ? undefined : parseTaskRef(String(raw));
  if (id === undefined) throw new ToolInputError(`${what} must be a task id like T-12`);
  return id;
};

/** The request a tool call means; names are resolved by the router against the org. */
function requestOf(a: Args, ctx: ToolContext): TaskOp {
  const me = (who: string | undefined) => (who && /^(me|myself)$/i.test(who.trim()) ? ctx.agent.matrixId : who);
  switch (a.action) {
    case 'create': {
      if (!a.title?.trim()) throw new ToolInputError('create needs a title');
      const assignee = me(a.assignee);
      const parent = a.parent === undefined || a.parent === '' ? undefined : idOf(a.parent, 'parent');
      // The same create in the same step of the same conversation (a turn run again) finds the first task.
      const conv = ctx.conversation;
      const requestKey = createHash('sha256').update([conv.rootEventId, conv.hop, a.title, assignee ?? '', parent ?? ''].join('\0')).digest('base64url').slice(0, 32);
      return { op: 'create', title: a.title, requestKey, ...(a.kind ? { kind: a.kind } : {}), ...(a.description ? { description: a.description } : {}),
        ...(parent ? { parent } : {}), ...(assignee ? { assignee } : {}), ...(a.priority ? { priority: a.priority } : {}), ...(a.due ? { due: a.due } : {}) };
    }
    case 'list': {
      const scope = (a.scope ?? 'mine').trim();
      const known = ['mine', 'team', 'created', 'all'].includes(scope.toLowerCase());
      return { op: 'list', scope: known ? scope.toLowerCase() as 'mine' : { assignee: me(scope)! },
        ...(a.status ? { statuses: [a.status] } : { open: true }), ...(a.query ? { text: a.query } : {}) };
    }
    case 'get':
    case 'take':
      return { op: a.action, id: idOf(a.id) };
    case 'status':
      if (!a.status) throw new ToolInputError(`status needs a status: ${TASK_STATUSES.join(', ')}`);
      return { op: 'status', id: idOf(a.id), status: a.status, ...(a.reason ? { reason: a.reason } : {}), ...(a.note ? { note: a.note } : {}) };
    case 'assign': {
      const to = me(a.assignee)?.trim();
      return { op: 'assign', id: idOf(a.id), assignee: !to || /^(nobody|none|inbox)$/i.test(to) ? null : to };
    }
    case 'comment':
      if (!a.text?.trim()) throw new ToolInputError('comment needs text');
      return { op: 'comment', id: idOf(a.id), text: a.text };
  }
}

/**
 * The company's task tracker (epics, features, stories, tasks). Everything lives in the router, so what one agent
 * sees is what every other agent, the humans' admin room and the dashboard see. Assigning tells the assignee in
 * Matrix (their turn starts); done or blocked tells the creator: the model need not message them itself.
 */
export const tasksTool: AgentTool = {
  spec: {
    name: 'tasks',
    description:
      'The company task tracker. action: "create" (title, description?, kind: epic|feature|story|task, parent?, assignee?: a name, matrix id or "me", priority: low|normal|high|urgent, due: YYYY-MM-DD), ' +
      '"list" (scope: mine|team|created|all|<person>, status?, query?), "get" (id), "status" (id, status: in_progress|review|done|blocked|assigned|inbox, reason for blocked, note?), ' +
      '"take" (id: start an unassigned task yourself), "assign" (id, assignee or "nobody"), "comment" (id, text). Ids look like T-12. ' +
      'Assigning a task tells the assignee; done or blocked tells its creator: you do not need to message them yourself.',
    parameters: {
      type: 'object',
      properties: {
        action: { type: 'string', enum: [...ACTIONS] },
        id: { type: 'string', description: 'task id, e.g. T-12' },
        kind: { type: 'string', enum: [...TASK_KINDS] },
        title: { type: 'string' },
        description: { type: 'string' },
        parent: { type: 'string', description: 'parent task id' },
        assignee: { type: 'string', description: 'full name, matrix id, "me", or "nobody"' },
        priority: { type: 'string', enum: [...TASK_PRIORITIES] },
        due: { type: 'string', description: 'YYYY-MM-DD' },
        status: { type: 'string', enum: [...TASK_STATUSES] },
        reason: { type: 'string', description: 'why it is blocked' },
        note: { type: 'string', description: 'what you did, kept in the history and told to the creator on done' },
        text: { type: 'string', description: 'comment text' },
        scope: { type: 'string', description: 'list: mine (default), team, created, all, or a person' },
        query: { type: 'string', description: 'list: words to find in titles and descriptions' },
      },
      required: ['action'],
      additionalProperties: false,
    },
  },
  async run(rawArgs, ctx) {
    const parsed = argsSchema.safeParse(rawArgs);
    if (!parsed.success) throw new ToolInputError(`tasks: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ')}`);
    if (!ctx.services.tasks) throw new ToolInputError('tasks are not available in this fleet');
    const args = parsed.data;
    const answer = await ctx.services.tasks(ctx.agent.matrixId, requestOf(args, ctx), ctx.conversation);
    if (!answer.ok) throw new ToolInputError(answer.error);
    const nameOf = (id: string) => (id === ctx.agent.matrixId ? 'you' : ctx.org.get(id)?.name ?? id);
    const t = answer.task;
    switch (args.action) {
      case 'list': {
        const tasks = answer.tasks ?? [];
        return { text: tasks.length ? capText(tasks.map((x) => taskLine(x, nameOf)).join('\n'), 6000) : 'No tasks match.', summary: `listed ${tasks.length} task(s)` };
      }
      case 'get':
        return { text: capText(taskDetail(t!, answer.children ?? [], answer.history ?? [], nameOf), 6000), summary: `read ${taskRef(t!.id)}` };
      case 'create': {
        const told = t!.assignee && t!.assignee !== ctx.agent.matrixId ? ` ${nameOf(t!.assignee)} is told in Matrix.` : '';
        return { text: `Created ${taskLine(t!, nameOf)}.${told}`, summary: `created ${taskRef(t!.id)}` };
      }
      case 'status': {
        const told = (t!.status === 'done' || t!.status === 'blocked') && t!.creator !== ctx.agent.matrixId ? ` ${nameOf(t!.creator)} (who created it) is told in Matrix; no need to message them.` : '';
        return { text: `${taskRef(t!.id)} is now ${t!.status}.${told}`, summary: `${taskRef(t!.id)} → ${t!.status}` };
      }
      case 'take':
        return { text: `You took ${taskLine(t!, nameOf)}; it is in_progress.`, summary: `took ${taskRef(t!.id)}` };
      case 'assign':
        return { text: `${taskLine(t!, nameOf)}.${t!.assignee ? ` ${nameOf(t!.assignee)} is told in Matrix.` : ''}`, summary: `assigned ${taskRef(t!.id)}` };
      case 'comment':
        return { text: `Comment added to ${taskRef(t!.id)}.`, summary: `commented on ${taskRef(t!.id)}` };
    }
  },
};
