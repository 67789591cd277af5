import { describe, expect, it } from 'vitest';
import { logger } from '../../../src/log.ts';
import { Dispatcher } from '../../../src/router/dispatcher.ts';
import { Inbox, type InboxItem } from '../../../src/router/inbox.ts';
import { RetryableError } from '../../../src/router/retryable.ts';
import { openRouterStore } from '../../../src/router/store.ts';

const ev = (id: string, room: string) => ({ event_id: id, room_id: room, sender: '@h:x', type: 'm.room.message', content: { body: id } });
const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('dispatcher', () => {
  it('a poison event is parked after a few attempts without holding back other rooms', async () => {
    const inbox = new Inbox(openRouterStore(':memory:'));
    inbox.accept('t1', [ev('$poison', '!a'), ev('$fine', '!b'), ev('$later-in-a', '!a')]);
    const done: string[] = [];
    const d = new Dispatcher({ inbox, log: logger, maxPermanentAttempts: 2, maxBackoffMs: 20, processEvent: async (i: InboxItem) => {
      if (i.event.event_id === '$poison') throw new TypeError('bug in routing');
      done.push(i.event.event_id);
    } });
    d.start();
    await until(() => done.length === 2);
    await d.stop();
    // Room !b went ahead at once; room !a kept its order: its later event waited until the poison one was parked.
    expect(done).toEqual(['$fine', '$later-in-a']);
    expect(inbox.parked(10).map((p) => p.eventId)).toEqual(['$poison']);
  });

  it('a retryable failure (homeserver down) is retried, not parked, and the event goes through once it can', async () => {
    const inbox = new Inbox(openRouterStore(':memory:'));
    inbox.accept('t1', [ev('$wait', '!a')]);
    let attempts = 0;
    const d = new Dispatcher({ inbox, log: logger, maxPermanentAttempts: 1, maxBackoffMs: 10, processEvent: async () => {
      if (++attempts < 6) throw new RetryableError('members unreadable: homeserver down');
    } });
    d.start();
    await until(() => inbox.counts().done === 1);
    await d.stop();
    expect(attempts).toBe(6);
    expect(inbox.counts().failed).toBe(0);
  });

  it('a retryable failure is parked only past the retry horizon, and can be replayed', async () => {
    const inbox = new Inbox(openRouterStore(':memory:'));
    inbox.accept('t1', [ev('$old', '!a')]);
    let fail = true;
    const d = new Dispatcher({ inbox, log: logger, retryHorizonMs: 30, maxBackoffMs: 10, processEvent: async () => {
      if (fail) throw new RetryableError('down');
    } });
    d.start();
    await until(() => inbox.counts().failed === 1);
    fail = false;
    expect(inbox.replay('all')).toBe(1);
    d.kick();
    await until(() => inbox.counts().done === 1);
    await d.stop();
  });
});
