import { describe, expect, it } from 'vitest';
import type { OrgDirectory } from '../../../src/org/directory.ts';
import { RoomDirectory } from '../../../src/router/rooms.ts';
import { EventRouter } from '../../../src/router/route-event.ts';
import { openRouterStore } from '../../../src/router/store.ts';

const D = 'anycompany.corp';
const human = `@morgan.blake:${D}`;
const ann = `@ann.lee:${D}`;
const bob = `@bob.stone:${D}`;
const names: Record<string, string> = { [ann]: 'Ann Lee', [bob]: 'Bob Stone', [human]: 'Morgan Blake' };
const org = {
  domain: D,
  isAgent: (id: string) => id === ann || id === bob,
  get: (id: string) => (names[id] ? { name: names[id] } : undefined),
} as unknown as OrgDirectory;

function setup(fetched?: string[]) {
  const rooms = new RoomDirectory(openRouterStore(':memory:'));
  const calls: string[] = [];
  const router = new EventRouter({
    org, rooms,
    fetchJoinedMembers: async (roomId, asAgent) => { calls.push(`${roomId} as ${asAgent}`); return fetched; },
    fetchEventSender: async () => undefined,
  });
  return { rooms, router, calls };
}

let n = 0;
const ev = (over: Record<string, unknown>) => ({ event_id: `$e${++n}`, room_id: '!dm:x', sender: human, type: 'm.room.message', content: { msgtype: 'm.text', body: 'hello' }, ...over }) as never;
const member = (target: string, membership: string, sender = human, extra: Record<string, unknown> = {}) =>
  ev({ type: 'm.room.member', state_key: target, sender, content: { membership, ...extra } });

describe('event routing', () => {
  it('turns a DM invite from a human into an invite delivery and later messages into message deliveries', async () => {
    const { router } = setup();
    await router.route(ev({ type: 'm.room.create', content: {} }));
    await router.route(member(human, 'join'));
    const invite = await router.route(member(ann, 'invite', human, { is_direct: true }));
    expect(invite.map((d) => [d.kind, d.agentId])).toEqual([['invite', ann]]);
    const msg = await router.route(ev({}));
    expect(msg).toHaveLength(1);
    expect(msg[0]).toMatchObject({ kind: 'message', agentId: ann, reason: 'dm', room: { isDirect: true } });
    expect(msg[0]!.id).toBe(`message:${ann}:${(msg[0]!.event as { event_id: string }).event_id}`);
  });

  it('does not accept invites from other servers or an agent inviting itself', async () => {
    const { router } = setup();
    expect(await router.route(member(ann, 'invite', '@mallory:evil.example'))).toEqual([]);
    expect(await router.route(member(ann, 'invite', ann))).toEqual([]);
  });

  it('makes an agent leave when it is the only one left', async () => {
    const { router } = setup();
    await router.route(ev({ type: 'm.room.create', content: {} }));
    await router.route(member(human, 'join'));
    await router.route(member(ann, 'join', ann));
    await router.route(member(bob, 'join', bob));
    expect(await router.route(member(human, 'leave', human))).toEqual([]);
    const out = await router.route(member(bob, 'leave', bob));
    expect(out.map((d) => [d.kind, d.agentId])).toEqual([['leave', ann]]);
  });

  it('routes a group message only to the mentioned agent', async () => {
    const { router } = setup();
    await router.route(ev({ type: 'm.room.create', content: {}, room_id: '!g:x' }));
    for (const u of [human, ann, bob]) await router.route({ ...(member(u, 'join', u) as object), room_id: '!g:x' } as never);
    expect(await router.route(ev({ room_id: '!g:x' }))).toEqual([]);
    const out = await router.route(ev({ room_id: '!g:x', content: { msgtype: 'm.text', body: 'Bob?', 'm.mentions': { user_ids: [bob] } } }));
    expect(out.map((d) => [d.agentId, d.reason])).toEqual([[bob, 'm.mentions']]);
  });

  it('reads the member list from the homeserver the first time it meets a room mid-life', async () => {
    const { router, calls } = setup([human, ann]);
    const out = await router.route(ev({ room_id: '!old:x', sender: ann, content: { msgtype: 'm.text', body: 'hi' } }));
    expect(calls).toEqual([`!old:x as ${ann}`]);
    expect(out).toEqual([]); // ann is the sender; the human is not an agent
    const reply = await router.route(ev({ room_id: '!old:x' }));
    expect(reply.map((d) => d.agentId)).toEqual([ann]);
  });

  it('ignores notices and non-message events', async () => {
    const { router } = setup();
    await router.route(ev({ type: 'm.room.create', content: {} }));
    await router.route(member(human, 'join'));
    await router.route(member(ann, 'join', ann));
    expect(await router.route(ev({ content: { msgtype: 'm.notice', body: 'bot says' } }))).toEqual([]);
    expect(await router.route(ev({ type: 'm.reaction', content: {} }))).toEqual([]);
  });
});
