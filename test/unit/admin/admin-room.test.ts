import { describe, expect, it } from 'vitest';
import type { Bridge } from 'matrix-appservice-bridge';
import { AdminRoom } from '../../../src/admin/admin-room.ts';
import { logger } from '../../../src/log.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import type { RoomEvent } from '../../../src/router/mentions.ts';
import { adminContext, CEO, D } from './fixture.ts';

const ADMIN_ROOM = '!admin:x';
// Two more humans in this org: one listed in org.admins, one not.
const base = generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } });
const [adminHuman, readerHuman, moderator] = [base[5]!.matrixId, base[6]!.matrixId, base[7]!.matrixId];
const org = new OrgDirectory(base.map((p) => ([adminHuman, readerHuman, moderator].includes(p.matrixId) ? { ...p, human: true } : p)), D);

let n = 0;
const ev = (over: Partial<RoomEvent> = {}): RoomEvent => ({
  event_id: `$e${++n}`, room_id: ADMIN_ROOM, sender: CEO, type: 'm.room.message', content: { msgtype: 'm.text', body: 'status' }, ...over,
});
const say = (sender: string, body: string) => ev({ sender, content: { msgtype: 'm.text', body } });

function setup(over: { scale?: (n: number) => Promise<void>; send?: () => Promise<void> } = {}) {
  const sent: Array<{ type: string; content: Record<string, unknown> }> = [];
  const ctx = adminContext({ org, ...(over.scale ? { scale: over.scale } : {}) });
  const room = new AdminRoom({
    bridge: {} as Bridge, org, ctx, log: logger, admins: [adminHuman],
    resolveRoom: async () => ADMIN_ROOM,
    powerLevels: async () => ({ users: { [moderator]: 50 } }),
    send: over.send ?? (async (_roomId, type, content) => { sent.push({ type, content }); }),
  });
  const notices = () => sent.filter((s) => s.type === 'm.room.message').map((s) => String(s.content.body));
  const reactions = () => sent.filter((s) => s.type === 'm.reaction').map((s) => (s.content['m.relates_to'] as { key: string }).key);
  return { room, ctx, sent, notices, reactions };
}

const roomKnown = () => new Promise((r) => setTimeout(r, 0));

describe('#fleet-admin room', () => {
  it('decides at once and never waits for the command: a slow scale does not hold up the caller', async () => {
    let finishScale!: () => void;
    const { room, notices } = setup({ scale: () => new Promise<void>((r) => { finishScale = r; }) });
    await roomKnown();
    const handled = room.handle(say(CEO, 'scale 3'));
    expect(handled).toBe(true); // a boolean, not a promise: the dispatch loop goes on at once
    expect(room.handle(say(CEO, 'status'))).toBe(true);
    await roomKnown();
    expect(notices()).toEqual([]); // scale still running; status waits behind it on the room's own queue
    finishScale();
    await room.idle();
    expect(notices().map((t) => t.split('\n')[0])).toEqual(['Scaling to 3 shard(s); new shards join placement when they first heartbeat.', 'Shards: 2 live; 2 deliveries in progress.']);
  });

  it('answers with a notice (plain body and HTML) in reply to the command, and reacts ✅ or ⛔', async () => {
    const { room, sent, reactions } = setup();
    await roomKnown();
    const cmd = say(CEO, 'shards');
    room.handle(cmd);
    room.handle(say(CEO, 'stauts'));
    await room.idle();
    expect(sent[0]!.content).toMatchObject({ msgtype: 'm.notice', format: 'org.matrix.custom.html', 'm.relates_to': { 'm.in_reply_to': { event_id: cmd.event_id } } });
    expect(String(sent[0]!.content.formatted_body)).toContain('<table>');
    expect(sent[1]).toEqual({ type: 'm.reaction', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: cmd.event_id, key: '✅' } } });
    expect(reactions()).toEqual(['✅', '⛔']);
  });

  it('lets the CEO, org.admins and power ≥ 50 change things; other humans read; strangers are refused', async () => {
    const { room, ctx, notices, reactions } = setup();
    await roomKnown();
    const agent = org.agents()[10]!.localpart;
    room.handle(say(readerHuman, `pause ${agent}`));
    room.handle(say(readerHuman, 'status'));
    room.handle(say('@mallory:elsewhere.org', 'status'));
    room.handle(say('@mallory:elsewhere.org', `pause ${agent}`));
    await room.idle();
    expect(ctx.controls.paused()).toEqual([]);
    expect(reactions()).toEqual(['⛔', '✅', '⛔', '⛔']);
    expect(notices()[0]).toContain('only admins');
    expect(notices()[2]).toContain('Only the humans of the org');
    for (const who of [CEO, adminHuman, moderator]) {
      room.handle(say(who, `resume ${agent}`));
      room.handle(say(who, `pause ${agent}`));
    }
    await room.idle();
    expect(reactions().slice(4)).toEqual(['✅', '✅', '✅', '✅', '✅', '✅']);
    expect(ctx.controls.paused()).toEqual([org.agents()[10]!.matrixId]);
    expect(ctx.audit.recent(100).filter((e) => e.outcome === 'refused').map((e) => e.sender)).toEqual(['@mallory:elsewhere.org', '@mallory:elsewhere.org', readerHuman]);
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
    const { room } = setup({ send: async () => { throw Object.assign(new Error('forbidden'), { statusCode: 403 }); } });
    await roomKnown();
    expect(room.handle(ev())).toBe(true);
    await expect(room.idle()).resolves.toBeUndefined();
  });

  it('knows the room as soon as provisioning creates it (its canonical alias), without waiting for the next lookup', () => {
    const room = new AdminRoom({ bridge: {} as Bridge, org, log: logger, resolveRoom: async () => undefined, ctx: adminContext({ org }), send: async () => {} });
    expect(room.handle(ev())).toBe(false);
    expect(room.handle({ event_id: '$alias', room_id: ADMIN_ROOM, sender: '@fleet-bot:anycompany.corp', type: 'm.room.canonical_alias',
      state_key: '', content: { alias: '#fleet-admin:anycompany.corp' } })).toBe(false);
    expect(room.handle(ev())).toBe(true);
  });

  it('follows #fleet-admin to a room made anew, as the directory says, not as any room claiming the alias', async () => {
    let directory = ADMIN_ROOM;
    const room = new AdminRoom({ bridge: {} as Bridge, org, log: logger, resolveRoom: async () => directory, ctx: adminContext({ org }), send: async () => {} });
    await roomKnown();
    expect(room.handle(ev())).toBe(true);
    const claim = (roomId: string) => room.handle({ event_id: `$alias-${roomId}`, room_id: roomId, sender: '@fleet-bot:anycompany.corp',
      type: 'm.room.canonical_alias', state_key: '', content: { alias: '#fleet-admin:anycompany.corp' } });
    claim('!impostor:x'); // the directory still names the old room
    await roomKnown();
    expect(room.handle(ev({ room_id: '!impostor:x' }))).toBe(false);
    expect(room.handle(ev())).toBe(true);
    directory = '!anew:x';
    claim('!anew:x');
    await roomKnown();
    expect(room.handle(ev({ room_id: '!anew:x' }))).toBe(true);
    expect(room.handle(ev())).toBe(false);
  });
});
