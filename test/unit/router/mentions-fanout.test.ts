/**
 * Fan-out bounds (issue 12 item 7): how many agents one event can wake, in the real 1001-person org. Every test here
 * goes through EventRouter with its SQLite room directory, as the running router routes.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../../src/log.ts';
import { generateOrg, OrgDirectory } from '../../../src/org/index.ts';
import { RoomDirectory } from '../../../src/router/rooms.ts';
import { EventRouter } from '../../../src/router/route-event.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { DEFAULT_MAX_AGENTS_PER_EVENT } from '../../../src/router/mentions.ts';

const DOMAIN = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } }), DOMAIN);
const ceo = org.humans()[0]!.matrixId;
const agents = org.agents();
const ALL_EMPLOYEES = `!all-employees:${DOMAIN}`;
const DM = `!dm:${DOMAIN}`;

function setup(limits?: { maxAgentsPerEvent: number; nameMatchMaxMembers: number }) {
  const rooms = new RoomDirectory(openRouterStore(':memory:'));
  const info = vi.fn();
  const router = new EventRouter({
    org, rooms, ...(limits ? { limits } : {}), log: { info } as unknown as Logger,
    fetchJoinedMembers: async () => undefined,
    fetchEventSender: async () => undefined,
  });
  return { rooms, router, info };
}

/** #all-employees as provisioning builds it: all 1001 people, from the org directory. */
function allEmployeesRoom(rooms: RoomDirectory): void {
  rooms.loadMembers(ALL_EMPLOYEES, org.all().map((p) => p.matrixId));
}

let n = 0;
const message = (roomId: string, content: Record<string, unknown>, sender = ceo) =>
  ({ event_id: `$fanout${++n}`, room_id: roomId, sender, type: 'm.room.message', content: { msgtype: 'm.text', ...content } }) as never;
const memberEvent = (roomId: string, target: string, membership: string, sender: string, extra: Record<string, unknown> = {}) =>
  ({ event_id: `$fanout${++n}`, room_id: roomId, sender, type: 'm.room.member', state_key: target, content: { membership, ...extra } }) as never;
const pill = (id: string, name: string) => `<a href="https://matrix.to/#/${id}">${name}</a>`;

describe('fan-out in a 1001-member room', () => {
  it('a 1001-member room message naming every display name wakes at most the cap', async () => {
    const { rooms, router } = setup();
    allEmployeesRoom(rooms);
    expect(rooms.present(ALL_EMPLOYEES)).toHaveLength(1001);
    const body = `Thanks to ${agents.map((p) => p.name).join(', ')} for a great year!`;
    const out = await router.route(message(ALL_EMPLOYEES, { body }));
    expect(out.length).toBeLessThanOrEqual(DEFAULT_MAX_AGENTS_PER_EVENT);
  });

  it('m.mentions listing every agent wakes exactly the cap, the first ones listed', async () => {
    const { rooms, router, info } = setup({ maxAgentsPerEvent: 5, nameMatchMaxMembers: 100 });
    allEmployeesRoom(rooms);
    const ids = agents.map((p) => p.matrixId);
    const out = await router.route(message(ALL_EMPLOYEES, { body: 'everyone', 'm.mentions': { user_ids: ids } }));
    expect(out.map((d) => d.agentId)).toEqual(ids.slice(0, 5));
    expect(info).toHaveBeenCalledTimes(1);
    expect(info.mock.calls[0]![0]).toMatchObject({ addressed: 5, overCap: 995, cap: 5, overCapIds: ids.slice(5, 10) });
  });

  it('pills to every agent from a legacy client (no m.mentions) wake at most the cap', async () => {
    const { rooms, router } = setup();
    allEmployeesRoom(rooms);
    const out = await router.route(message(ALL_EMPLOYEES, {
      body: agents.map((p) => p.name).join(' '),
      format: 'org.matrix.custom.html',
      formatted_body: agents.map((p) => pill(p.matrixId, p.name)).join(' '),
    }));
    expect(out).toHaveLength(DEFAULT_MAX_AGENTS_PER_EVENT);
    expect(out.every((d) => d.reason === 'pill')).toBe(true);
  });

  it('does not match display names at all in a room larger than nameMatchMaxMembers', async () => {
    const { rooms, router } = setup();
    allEmployeesRoom(rooms);
    expect(await router.route(message(ALL_EMPLOYEES, { body: `${agents[0]!.name}, can you look at this?` }))).toEqual([]);
  });

  it('still matches a display name in a team-sized room', async () => {
    const { rooms, router } = setup();
    const team = agents.slice(0, 40).map((p) => p.matrixId);
    rooms.loadMembers('!team:x', [ceo, ...team]);
    const out = await router.route(message('!team:x', { body: `${agents[3]!.name}, can you look at this?` }));
    expect(out.map((d) => [d.agentId, d.reason])).toEqual([[team[3], 'plain-text']]);
  });
});

describe('only room members are addressed', () => {
  const outsider = agents[500]!.matrixId;

  it('m.mentions naming an agent that is not in the room wakes nobody, and says so at info', async () => {
    const { rooms, router, info } = setup();
    rooms.loadMembers('!g:x', [ceo, agents[0]!.matrixId, agents[1]!.matrixId]);
    const out = await router.route(message('!g:x', { body: 'can you help?', 'm.mentions': { user_ids: [outsider] } }));
    expect(out).toEqual([]);
    expect(info.mock.calls[0]![0]).toMatchObject({ addressed: 0, notInRoom: 1, notInRoomIds: [outsider] });
  });

  it('a pill to an agent outside the room wakes nobody', async () => {
    const { rooms, router } = setup();
    rooms.loadMembers('!g:x', [ceo, agents[0]!.matrixId, agents[1]!.matrixId]);
    const out = await router.route(message('!g:x', {
      body: 'can you help?', format: 'org.matrix.custom.html', formatted_body: `${pill(outsider, 'X')} can you help?`,
    }));
    expect(out).toEqual([]);
  });

  it('an invited agent counts as a member', async () => {
    const { rooms, router } = setup();
    rooms.loadMembers('!g:x', [ceo, agents[0]!.matrixId, agents[1]!.matrixId]);
    await router.route(memberEvent('!g:x', outsider, 'invite', ceo));
    const out = await router.route(message('!g:x', { body: 'welcome', 'm.mentions': { user_ids: [outsider] } }));
    expect(out.map((d) => d.agentId)).toEqual([outsider]);
  });
});

describe('m.mentions is authoritative', () => {
  it('pills are ignored when m.mentions is present', async () => {
    const { rooms, router } = setup();
    const [a, b] = [agents[0]!, agents[1]!];
    rooms.loadMembers('!g:x', [ceo, a.matrixId, b.matrixId]);
    const out = await router.route(message('!g:x', {
      body: `${a.name} ${b.name}`,
      format: 'org.matrix.custom.html',
      formatted_body: `${pill(a.matrixId, a.name)} ${pill(b.matrixId, b.name)}`,
      'm.mentions': { user_ids: [a.matrixId] },
    }));
    expect(out.map((d) => [d.agentId, d.reason])).toEqual([[a.matrixId, 'm.mentions']]);
  });
});

describe('direct chats', () => {
  it('a DM grown into a group is no longer direct: agents answer only when mentioned', async () => {
    const { router } = setup();
    const [a, b] = [agents[0]!.matrixId, agents[1]!.matrixId];
    await router.route({ event_id: `$fanout${++n}`, room_id: DM, sender: ceo, type: 'm.room.create', content: {} } as never);
    await router.route(memberEvent(DM, ceo, 'join', ceo));
    await router.route(memberEvent(DM, a, 'invite', ceo, { is_direct: true }));
    await router.route(memberEvent(DM, a, 'join', a));
    const asDm = await router.route(message(DM, { body: 'hello' }));
    expect(asDm.map((d) => [d.agentId, d.reason, d.room.isDirect])).toEqual([[a, 'dm', true]]);

    await router.route(memberEvent(DM, b, 'invite', ceo, { is_direct: true }));
    await router.route(memberEvent(DM, b, 'join', b));
    expect(await router.route(message(DM, { body: 'hello both', 'm.mentions': {} }))).toEqual([]);
    const mentioned = await router.route(message(DM, { body: 'just you', 'm.mentions': { user_ids: [b] } }));
    expect(mentioned.map((d) => [d.agentId, d.reason, d.room.isDirect])).toEqual([[b, 'm.mentions', false]]);

    // Back to two people, it is a conversation of two again.
    await router.route(memberEvent(DM, b, 'leave', b));
    expect((await router.route(message(DM, { body: 'just us' }))).map((d) => d.agentId)).toEqual([a]);
  });
});

describe('deliveries', () => {
  it('carry no member list', async () => {
    const { rooms, router } = setup();
    allEmployeesRoom(rooms);
    const target = agents[7]!.matrixId;
    const [delivery] = await router.route(message(ALL_EMPLOYEES, { body: 'hi', 'm.mentions': { user_ids: [target] } }));
    expect(delivery!.room).toEqual({ isDirect: false });
    expect(JSON.stringify(delivery).length).toBeLessThan(1000);
    rooms.loadMembers('!new:x', [ceo]);
    const [invite] = await router.route(memberEvent('!new:x', target, 'invite', ceo, { is_direct: true }));
    expect(invite!.room).toEqual({ isDirect: true });
  });
});
