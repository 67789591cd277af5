import { describe, expect, it } from 'vitest';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { componentLogger } from '../../../src/log.ts';
import { leadershipAlias } from '../../../src/provision/plan.ts';
import { LazyRooms } from '../../../src/router/lazy-rooms.ts';
import { RoomDirectory } from '../../../src/router/rooms.ts';
import { EventRouter } from '../../../src/router/route-event.ts';
import { openRouterStore } from '../../../src/router/store.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const ceo = org.humans()[0]!.matrixId;
const agents = org.agents();
const ALL = '!all:x';

function setup(opts: { aliases?: Record<string, string>; eagerJoinMaxMembers?: number } = {}) {
  const rooms = new RoomDirectory(openRouterStore(':memory:'));
  const resolved: string[] = [];
  const lazyRooms = new LazyRooms({
    org, log: componentLogger('test'), ...(opts.eagerJoinMaxMembers !== undefined ? { eagerJoinMaxMembers: opts.eagerJoinMaxMembers } : {}),
    resolveAlias: async (alias) => { resolved.push(alias); return (opts.aliases ?? { 'all-employees': ALL })[alias]; },
  });
  const router = new EventRouter({ org, rooms, lazyRooms, fetchJoinedMembers: async () => undefined, fetchEventSender: async () => undefined });
  return { rooms, router, resolved };
}

let n = 0;
const ev = (over: Record<string, unknown>) => ({ event_id: `$e${++n}`, room_id: ALL, sender: ceo, type: 'm.room.message', content: { msgtype: 'm.text', body: 'hello' }, ...over }) as never;
const mention = (ids: string[], body = 'question', roomId = ALL) => ev({ room_id: roomId, content: { msgtype: 'm.text', body, 'm.mentions': { user_ids: ids } } });

/** A room as provisioning leaves it: created by the bot, the bot and the invited CEO present, no agent joined. */
async function provisioned(router: EventRouter, roomId = ALL) {
  await router.route(ev({ type: 'm.room.create', room_id: roomId, content: {} }));
  await router.route(ev({ type: 'm.room.member', room_id: roomId, state_key: `@fleet-bot:${D}`, content: { membership: 'join' } }));
  await router.route(ev({ type: 'm.room.member', room_id: roomId, state_key: ceo, content: { membership: 'invite' } }));
}

describe('routing in lazily joined rooms', () => {
  it('addresses an agent who belongs but has not joined, and tells the shard to join first', async () => {
    const { router } = setup();
    await provisioned(router);
    const target = agents[500]!.matrixId;
    const out = await router.route(mention([target]));
    expect(out.map((d) => [d.agentId, d.reason, d.joinFirst])).toEqual([[target, 'm.mentions', true]]);
    expect(out[0]!.room.isDirect).toBe(false);
  });

  it('does not ask an agent already joined to join again', async () => {
    const { router } = setup();
    await provisioned(router);
    const target = agents[7]!.matrixId;
    await router.route(ev({ type: 'm.room.member', state_key: target, sender: target, content: { membership: 'join' } }));
    const out = await router.route(mention([target]));
    expect(out.map((d) => [d.agentId, d.joinFirst])).toEqual([[target, undefined]]);
  });

  it('keeps the fan-out cap: m.mentions of 20 agents wakes maxAgentsPerEvent (8)', async () => {
    const { router } = setup();
    await provisioned(router);
    const out = await router.route(mention(agents.slice(0, 20).map((a) => a.matrixId)));
    expect(out).toHaveLength(8);
  });

  it('matches no plain-text names in a room whose members by the org exceed routing.nameMatchMaxMembers', async () => {
    const { router } = setup();
    await provisioned(router);
    const someone = agents[42]!;
    expect(await router.route(ev({ content: { msgtype: 'm.text', body: `${someone.name}, can you help?` } }))).toEqual([]);
  });

  it('matches plain-text names in a lazy room small enough for it (a leadership room under a low limit)', async () => {
    const dept = org.departments().find((d) => d !== org.humans()[0]!.department)!;
    const leaders = org.department(dept).filter((p) => p.level !== 'IC' && !p.human);
    const room = '!lead:x';
    const { router } = setup({ aliases: { 'all-employees': ALL, [leadershipAlias(dept)]: room }, eagerJoinMaxMembers: 5 });
    await provisioned(router, room);
    expect(leaders.length).toBeGreaterThan(5);
    expect(leaders.length).toBeLessThanOrEqual(100);
    const out = await router.route(ev({ room_id: room, content: { msgtype: 'm.text', body: `${leaders[1]!.name}, the numbers please` } }));
    expect(out.map((d) => [d.agentId, d.reason, d.joinFirst])).toEqual([[leaders[1]!.matrixId, 'plain-text', true]]);
  });

  it('does not address someone who does not belong in the room by the org', async () => {
    const dept = org.departments()[1]!;
    const room = '!lead:x';
    const { router } = setup({ aliases: { [leadershipAlias(dept)]: room }, eagerJoinMaxMembers: 5 });
    await provisioned(router, room);
    const outsider = agents.find((p) => p.department !== dept && p.level === 'IC')!;
    expect(await router.route(mention([outsider.matrixId], 'hi', room))).toEqual([]);
  });

  it('learns a room created after start from its canonical alias, and ignores other rooms', async () => {
    const { router, resolved } = setup({ aliases: {} });
    await provisioned(router);
    const target = agents[3]!.matrixId;
    expect(await router.route(mention([target]))).toEqual([]); // not (yet) known as #all-employees: target is not a member
    expect(resolved).toEqual(['all-employees']);
    await router.route(ev({ type: 'm.room.canonical_alias', state_key: '', content: { alias: `#all-employees:${D}` } }));
    expect((await router.route(mention([target]))).map((d) => d.agentId)).toEqual([target]);
    await router.route(ev({ type: 'm.room.canonical_alias', room_id: '!other:x', state_key: '', content: { alias: `#all-employees:evil.example` } }));
    expect(await router.route(mention([target], 'hi', '!other:x'))).toEqual([]);
  });
});
