import { describe, expect, it } from 'vitest';
import type { Bridge } from 'matrix-appservice-bridge';
import { AdminRoom } from '../../../src/admin/admin-room.ts';
import type { AdminContext } from '../../../src/admin/commands.ts';
import { logger } from '../../../src/log.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import type { RoomEvent } from '../../../src/router/mentions.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const CEO = '@morgan.blake:anycompany.corp';
const ADMIN_ROOM = '!admin:x';

let n = 0;
const ev = (over: Partial<RoomEvent> = {}): RoomEvent => ({
  event_id: `$e${++n}`, room_id: ADMIN_ROOM, sender: CEO, type: 'm.room.message', content: { msgtype: 'm.text', body: 'status' }, ...over,
});

function setup(over: Partial<AdminContext> = {}) {
  const answers: Array<{ roomId: string; eventId: string; text: string }> = [];
  const ctx: AdminContext = {
    org, shards: () => [], inbox: () => ({ pending: 0, done: 0, failed: 0 }), parked: () => [], replay: () => 0,
    usage: async () => [], ...over,
  };
  const room = new AdminRoom({
    bridge: {} as Bridge, org, ctx, log: logger,
    resolveRoom: async () => ADMIN_ROOM,
    answer: async (roomId, eventId, text) => { answers.push({ roomId, eventId, text }); },
  });
  return { room, answers };
}

const roomKnown = () => new Promise((r) => setTimeout(r, 0));

describe('#fleet-admin room', () => {
  it('decides at once and never waits for the command: a slow scale does not hold up the caller', async () => {
    let finishScale!: () => void;
    const { room, answers } = setup({ scale: () => new Promise<void>((r) => { finishScale = r; }) });
    await roomKnown();
    const handled = room.handle(ev({ content: { msgtype: 'm.text', body: 'scale 3' } }));
    expect(handled).toBe(true); // a boolean, not a promise: the dispatch loop goes on at once
    expect(room.handle(ev({ content: { msgtype: 'm.text', body: 'status' } }))).toBe(true);
    await roomKnown();
    expect(answers).toEqual([]); // scale still running; status waits behind it on the room's own queue
    finishScale();
    await room.idle();
    expect(answers.map((a) => a.text.split('\n')[0])).toEqual(['Scaling to 3 shard(s); new shards join placement when they first heartbeat.', '0 live shard(s):']);
  });

  it('is not an admin command: other rooms, agents, notices, edits, and events without content', async () => {
    const { room } = setup();
    await roomKnown();
    expect(room.handle(ev({ room_id: '!elsewhere:x' }))).toBe(false);
    expect(room.handle(ev({ sender: org.agents()[0]!.matrixId }))).toBe(false);
    expect(room.handle(ev({ content: { msgtype: 'm.notice', body: 'status' } }))).toBe(false);
    expect(room.handle(ev({ content: { msgtype: 'm.text', body: 'status', 'm.relates_to': { rel_type: 'm.replace' } } }))).toBe(false);
    expect(room.handle({ event_id: '$nocontent', room_id: ADMIN_ROOM, sender: CEO, type: 'm.room.message' } as unknown as RoomEvent)).toBe(false);
    expect(room.handle({ ...ev(), content: null } as unknown as RoomEvent)).toBe(false);
  });

  it('logs a command whose answer cannot be sent instead of failing anything', async () => {
    const room = new AdminRoom({
      bridge: {} as Bridge, org, log: logger, resolveRoom: async () => ADMIN_ROOM,
      ctx: { org, shards: () => [], inbox: () => ({ pending: 0, done: 0, failed: 0 }), parked: () => [], replay: () => 0, usage: async () => [] },
      answer: async () => { throw Object.assign(new Error('forbidden'), { statusCode: 403 }); },
    });
    await roomKnown();
    expect(room.handle(ev())).toBe(true);
    await expect(room.idle()).resolves.toBeUndefined();
  });

  it('knows the room as soon as provisioning creates it (its canonical alias), without waiting for the next lookup', () => {
    const room = new AdminRoom({
      bridge: {} as Bridge, org, log: logger, resolveRoom: async () => undefined,
      ctx: { org, shards: () => [], inbox: () => ({ pending: 0, done: 0, failed: 0 }), parked: () => [], replay: () => 0, usage: async () => [] },
      answer: async () => {},
    });
    expect(room.handle(ev())).toBe(false);
    expect(room.handle({ event_id: '$alias', room_id: ADMIN_ROOM, sender: '@fleet-bot:anycompany.corp', type: 'm.room.canonical_alias',
      state_key: '', content: { alias: '#fleet-admin:anycompany.corp' } })).toBe(false);
    expect(room.handle(ev())).toBe(true);
  });
});
