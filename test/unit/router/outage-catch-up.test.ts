import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../../src/matrix/event.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { Inbox } from '../../../src/router/inbox.ts';
import { OutageCatchUp } from '../../../src/router/outage-catch-up.ts';

const AGENT = '@ada.lovelace:anycompany.corp';
const HUMAN = '@morgan.blake:anycompany.corp';
const msg = (id: string, roomId: string, sender = HUMAN): RoomEvent => ({ event_id: id, type: 'm.room.message', room_id: roomId, sender, content: { msgtype: 'm.text', body: id } });

function setup(timeline: Record<string, RoomEvent[]>, opts: { now?: () => number } = {}) {
  const inbox = new Inbox(openRouterStore(':memory:'));
  const reads: string[] = [];
  const catchUp = new OutageCatchUp({
    inbox, log: pino({ level: 'silent' }), isAgent: (id) => id === AGENT, joined: () => [HUMAN, AGENT], maxRooms: 2, ...opts,
    // Newest first, as /messages?dir=b answers.
    readMessages: async (roomId, asUser) => { reads.push(`${roomId} as ${asUser}`); return [...(timeline[roomId] ?? [])].reverse(); },
  });
  return { inbox, catchUp, reads };
}

describe('catching up on rooms after a homeserver outage', () => {
  it('reads each recently active room back to the last message routed and queues only what is new, in order', async () => {
    const routed = [msg('$1', '!a'), msg('$2', '!a')];
    const t = setup({ '!a': [...routed, msg('$3', '!a'), { ...msg('$s', '!a'), type: 'm.room.topic' }, msg('$4', '!a', AGENT)] });
    t.inbox.accept('txn-1', routed);
    for (const e of routed) t.catchUp.note(e);
    expect(await t.catchUp.run()).toBe(2);
    expect(t.reads).toEqual([`!a as ${AGENT}`]);
    expect(t.inbox.pending().map((i) => i.event.event_id)).toEqual(['$1', '$2', '$3', '$4']);
    // The homeserver sending the stranded transaction after all, or a second catch-up: nothing new.
    expect(t.inbox.accept('txn-late', [msg('$3', '!a')]).accepted).toBe(0);
    expect(await t.catchUp.run()).toBe(0);
  });

  it('skips rooms quiet for longer than the window', async () => {
    let now = 0;
    const t = setup({ '!old': [msg('$o1', '!old'), msg('$o2', '!old')], '!b': [msg('$b1', '!b'), msg('$b2', '!b')] }, { now: () => now });
    t.catchUp.note(msg('$o1', '!old'));
    now = 20 * 60_000;
    t.catchUp.note(msg('$b1', '!b'));
    expect(await t.catchUp.run()).toBe(1);
    expect(t.reads).toEqual([`!b as ${AGENT}`]);
  });

  it('remembers only the most recently active rooms (maxRooms)', async () => {
    const t = setup({});
    for (const room of ['!a', '!b', '!c', '!a']) t.catchUp.note(msg(`$${room}`, room));
    await t.catchUp.run();
    expect(t.reads).toEqual([`!c as ${AGENT}`, `!a as ${AGENT}`]);
  });

  it('a room that cannot be read is logged and the others still caught up', async () => {
    const t = setup({ '!ok': [msg('$k1', '!ok'), msg('$k2', '!ok')] });
    const failing = new OutageCatchUp({
      inbox: t.inbox, log: pino({ level: 'silent' }), isAgent: (id) => id === AGENT, joined: () => [AGENT],
      readMessages: async (roomId) => { if (roomId === '!bad') throw new Error('M_FORBIDDEN'); return [msg('$k2', '!ok'), msg('$k1', '!ok')]; },
    });
    failing.note(msg('$x', '!bad'));
    failing.note(msg('$k1', '!ok'));
    expect(await failing.run()).toBe(1);
  });
});
