import type { TaskAnswer, TaskOp } from './protocol.ts';
import { TaskError, type Actor, type TaskService } from './service.ts';

/** One request from an agent's tasks tool, answered with data or with the refusal the model should read. */
export function runTaskOp(service: TaskService, actor: Actor, op: TaskOp): TaskAnswer {
  try {
    switch (op.op) {
      case 'create': {
        const { op: _op, ...input } = op;
        return { ok: true, task: service.create(actor, input) };
      }
      case 'get':
        return { ok: true, ...service.get(op.id) };
      case 'list': {
        const scope = typeof op.scope === 'object' ? op.scope : { [op.scope]: true } as { mine: true };
        return { ok: true, tasks: service.list(actor.id, scope, { ...(op.statuses ? { statuses: op.statuses } : {}), ...(op.open ? { open: true } : {}), ...(op.text ? { text: op.text } : {}) }) };
      }
      case 'status':
        return { ok: true, task: service.setStatus(actor, op.id, op.status, { ...(op.reason ? { reason: op.reason } : {}), ...(op.note ? { note: op.note } : {}) }) };
      case 'take':
        return { ok: true, task: service.take(actor, op.id) };
      case 'assign':
        return { ok: true, task: service.assign(actor, op.id, op.assignee) };
      case 'comment':
        return { ok: true, task: service.comment(actor, op.id, op.text) };
    }
  } catch (err) {
    if (err instanceof TaskError) return { ok: false, error: err.message };
    throw err;
  }
}
