import { describe, expect, it } from 'vitest';
import { generateOrg } from '../../../src/org/generator.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { openDatabase } from '../../../src/store/sqlite.ts';
import { TaskStore } from '../../../src/tasks/store.ts';
import { TaskError, TaskService } from '../../../src/tasks/service.ts';
import { parseTaskRef, transitionProblem } from '../../../src/tasks/model.ts';
import { runTaskOp } from '../../../src/tasks/run-op.ts';

const domain = 'anycompany.corp';
const BOT = `@fleet-bot:${domain}`;
const org = new OrgDirectory(generateOrg({ domain, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } }), domain);
const ceo = org.all().find((p) => p.reportsTo === null)!;
const manager = org.byLevel('Manager').find((m) => org.reports(m.matrixId).length >= 2)!;
const [ic1, ic2] = org.reports(manager.matrixId) as [typeof manager, typeof manager];
const stranger = org.agents().find((p) => p.department !== manager.department && p.level === 'IC')!;

function fresh() {
  const store = new TaskStore(openDatabase(':memory:', []));
  return { store, service: new TaskService({ store, org, botId: BOT }) };
}

describe('task status flow', () => {
  it('follows inbox → assigned → in_progress → review → done, and refuses skipping or blocking without a reason', () => {
    expect(transitionProblem('assigned', 'in_progress', true)).toBeUndefined();
    expect(transitionProblem('in_progress', 'done', true)).toBeUndefined();
    expect(transitionProblem('assigned', 'done', true)).toMatch(/not allowed/);
    expect(transitionProblem('in_progress', 'blocked', true)).toBe('blocked needs a reason');
    expect(transitionProblem('inbox', 'in_progress', false)).toMatch(/needs an assignee/);
    expect(parseTaskRef('T-42')).toBe(42);
    expect(parseTaskRef('t42')).toBe(42);
    expect(parseTaskRef('T-x')).toBeUndefined();
  });
});

describe('TaskService', () => {
  it('a human creates for a manager, who splits it for two reports; done tells the creator; history is kept', () => {
    const { store, service } = fresh();
    const top = service.create({ id: ceo.matrixId, origin: { roomId: '!admin:x', eventId: '$cmd' } }, { title: 'Ship the export', assignee: manager.matrixId });
    expect(top.status).toBe('assigned');
    const a = service.create({ id: manager.matrixId }, { title: 'Part A', assignee: ic1.name, parent: top.id });
    const b = service.create({ id: manager.matrixId }, { title: 'Part B', assignee: ic2.matrixId, parent: top.id });
    expect(service.get(top.id).children.map((t) => t.id)).toEqual([a.id, b.id]);
    const notes = store.unsentNotifications();
    // The human's task is announced by the bot; the manager's by the manager itself.
    expect(notes.map((n) => [n.kind, n.speaker, n.recipient])).toEqual([
      ['assigned', BOT, manager.matrixId], ['assigned', manager.matrixId, ic1.matrixId], ['assigned', manager.matrixId, ic2.matrixId]]);
    for (const n of notes) store.markSent(n.id);

    service.setStatus({ id: ic1.matrixId }, a.id, 'in_progress');
    service.setStatus({ id: ic1.matrixId }, a.id, 'done', { note: 'exported' });
    expect(store.openTasksOf(ic1.matrixId)).toBe(0);
    expect(store.openTasksOf(manager.matrixId)).toBe(1);
    const [done] = store.unsentNotifications();
    expect(done).toMatchObject({ kind: 'done', speaker: ic1.matrixId, recipient: manager.matrixId });
    expect(done!.body).toContain('exported');
    expect(service.get(a.id).history.map((e) => [e.action, e.to])).toEqual([['created', 'assigned'], ['status', 'in_progress'], ['status', 'done']]);

    // The manager closing the human's task tells the human through the bot.
    store.markSent(done!.id);
    service.setStatus({ id: manager.matrixId }, top.id, 'in_progress');
    service.setStatus({ id: manager.matrixId }, top.id, 'done', { note: 'both parts shipped' });
    expect(store.unsentNotifications().map((n) => [n.kind, n.speaker, n.recipient])).toEqual([['done', BOT, ceo.matrixId]]);
  });

  it('two agents racing to take one task: exactly one wins, the other is told who has it', () => {
    const { store, service } = fresh();
    const t = service.create({ id: manager.matrixId }, { title: 'Whoever is free' });
    expect(t.status).toBe('inbox');
    // Both read version 1; the second UPDATE at that version matches nothing.
    expect(store.update(t.id, t.version, { assignee: ic1.matrixId, status: 'in_progress' })).toBeDefined();
    expect(store.update(t.id, t.version, { assignee: ic2.matrixId, status: 'in_progress' })).toBeUndefined();
    const u = service.create({ id: manager.matrixId }, { title: 'Another one' });
    expect(service.take({ id: ic2.matrixId }, u.id).assignee).toBe(ic2.matrixId);
    expect(() => service.take({ id: ic1.matrixId }, u.id)).toThrow(/already taken by/);
    expect(store.get(u.id)!.assignee).toBe(ic2.matrixId);
  });

  it('agents assign only within their reach and change only tasks they are involved in or manage', () => {
    const { service } = fresh();
    expect(() => service.create({ id: ic1.matrixId }, { title: 'Do my job', assignee: ceo.matrixId })).toThrow(TaskError);
    const t = service.create({ id: ic1.matrixId }, { title: 'Ask a peer', assignee: ic2.matrixId });
    expect(() => service.setStatus({ id: stranger.matrixId }, t.id, 'in_progress')).toThrow(/only they and their managers/);
    expect(service.setStatus({ id: manager.matrixId }, t.id, 'in_progress').status).toBe('in_progress');
    expect(() => service.setStatus({ id: ic2.matrixId }, t.id, 'blocked')).toThrow(/needs a reason/);
    expect(service.setStatus({ id: ic2.matrixId }, t.id, 'blocked', { reason: 'waiting on legal' }).blockedReason).toBe('waiting on legal');
    expect(() => service.create({ id: '@nobody:elsewhere' }, { title: 'x' })).toThrow(/not in the org/);
  });

  it('a create retried with the same request key returns the first task and tells nobody twice', () => {
    const { store, service } = fresh();
    const first = runTaskOp(service, { id: manager.matrixId }, { op: 'create', title: 'Once', assignee: ic1.matrixId, requestKey: 'k1' });
    const again = runTaskOp(service, { id: manager.matrixId }, { op: 'create', title: 'Once', assignee: ic1.matrixId, requestKey: 'k1' });
    expect(first.ok && again.ok && first.task!.id === again.task!.id).toBe(true);
    expect(store.unsentNotifications()).toHaveLength(1);
    expect(runTaskOp(service, { id: ic1.matrixId }, { op: 'status', id: 999, status: 'done' })).toEqual({ ok: false, error: 'there is no T-999' });
  });

  it('lists mine, my team and by status', () => {
    const { service } = fresh();
    service.create({ id: manager.matrixId }, { title: 'for one', assignee: ic1.matrixId });
    service.create({ id: manager.matrixId }, { title: 'for two', assignee: ic2.matrixId, priority: 'urgent' });
    expect(service.list(ic1.matrixId, { mine: true }).map((t) => t.title)).toEqual(['for one']);
    expect(service.list(manager.matrixId, { team: true }).map((t) => t.title)).toEqual(['for two', 'for one']);
    expect(service.list(manager.matrixId, { all: true }, { statuses: ['done'] })).toEqual([]);
    expect(service.list(manager.matrixId, { all: true }, { text: 'TWO' }).map((t) => t.title)).toEqual(['for two']);
  });
});
