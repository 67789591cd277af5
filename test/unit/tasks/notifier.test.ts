import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { generateOrg } from '../../../src/org/generator.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { openDatabase } from '../../../src/store/sqlite.ts';
import { TaskStore } from '../../../src/tasks/store.ts';
import { TaskService } from '../../../src/tasks/service.ts';
import { TaskNotifier, type TaskPoster } from '../../../src/tasks/notifier.ts';

const domain = 'anycompany.corp';
const BOT = `@fleet-bot:${domain}`;
const org = new OrgDirectory(generateOrg({ domain, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } }), domain);
const ceo = org.all().find((p) => p.reportsTo === null)!;
const manager = org.byLevel('Manager').find((m) => org.reports(m.matrixId).length >= 1)!;
const ic = org.reports(manager.matrixId)[0]!;

describe('TaskNotifier', () => {
  it('wakes agents with m.text mentions, answers the assignment on done, tells a human with a notice where they asked, posts once', async () => {
    const store = new TaskStore(openDatabase(':memory:', []));
    const sent: Array<{ sender: string; roomId: string; content: Record<string, unknown>; txn: string }> = [];
    let failNext = true;
    const poster: TaskPoster = {
      async send(sender, roomId, content, txn) {
        if (failNext) {
          failNext = false;
          throw new Error('homeserver down');
        }
        sent.push({ sender, roomId, content, txn });
        return `$ev${sent.length}`;
      },
      teamRoom: async () => undefined,
      directRoom: async (a, b) => `!dm-${a}-${b}`,
    };
    const notifier = new TaskNotifier({ store, org, botId: BOT, poster, log: pino({ level: 'silent' }), retryMs: 10 });
    const service = new TaskService({ store, org, botId: BOT, onNotice: () => notifier.kick() });
    const conv = { rootEventId: '$root', rootRoomId: '!r:x', rootSender: BOT, hop: 0 };

    const top = service.create({ id: ceo.matrixId, origin: { roomId: '!admin', eventId: '$cmd' } }, { title: 'Top', assignee: manager.matrixId });
    const child = service.create({ id: manager.matrixId, conversation: conv }, { title: 'Child', assignee: ic.matrixId, parent: top.id });
    for (let i = 0; i < 50 && sent.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(sent.map((s) => [s.sender, s.content.msgtype, (s.content['m.mentions'] as { user_ids: string[] }).user_ids[0]]))
      .toEqual([[BOT, 'm.text', manager.matrixId], [manager.matrixId, 'm.text', ic.matrixId]]);
    expect(sent[1]!.content['org.openclawfleet.hop']).toBe(1);

    service.setStatus({ id: ic.matrixId }, child.id, 'in_progress');
    service.setStatus({ id: ic.matrixId, conversation: { ...conv, hop: 1 } }, child.id, 'done', { note: 'all good' });
    service.setStatus({ id: manager.matrixId }, top.id, 'in_progress');
    service.setStatus({ id: manager.matrixId }, top.id, 'done', { note: 'shipped' });
    for (let i = 0; i < 50 && sent.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    await notifier.idle();
    const [, assignment, done, human] = sent;
    expect(done).toMatchObject({ sender: ic.matrixId, roomId: assignment!.roomId });
    expect(done!.content['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: '$ev2' } });
    expect(human).toMatchObject({ sender: BOT, roomId: '!admin' });
    expect(human!.content.msgtype).toBe('m.notice');
    expect(human!.content.body).toContain('shipped');
    expect(sent).toHaveLength(4);
    expect(store.unsentNotifications()).toEqual([]);
    await notifier.close();
  });

  it('forgets a direct chat that was left, only that one: a newer room of the pair stays', () => {
    const store = new TaskStore(openDatabase(':memory:', []));
    store.saveDmRoom(BOT, ceo.matrixId, '!old:x');
    store.forgetDmRoom(BOT, ceo.matrixId, '!other:x');
    expect(store.dmRoom(BOT, ceo.matrixId)).toBe('!old:x');
    store.forgetDmRoom(BOT, ceo.matrixId, '!old:x');
    expect(store.dmRoom(BOT, ceo.matrixId)).toBeUndefined();
  });
});
