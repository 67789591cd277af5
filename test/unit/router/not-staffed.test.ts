import { describe, expect, it } from 'vitest';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { NotStaffed } from '../../../src/router/not-staffed.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { deliveryId, type Delivery } from '../../../src/protocol/wire.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const [staffed, unstaffed] = [org.agents()[0]!, org.agents()[1]!];

let n = 0;
const d = (kind: Delivery['kind'], agentId: string, roomId = '!r:x'): Delivery => {
  const eventId = `$e${++n}`;
  return { id: deliveryId(kind, agentId, eventId), kind, agentId, roomId, room: { isDirect: true },
    event: { event_id: eventId, room_id: roomId, sender: '@morgan.blake:anycompany.corp', type: 'm.room.message', content: { body: 'hi' } } };
};

const FAST = { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 2 };

function setup(live?: Set<string>) {
  const sent: Array<{ agentId: string; roomId: string; content: Record<string, unknown>; txnId: string }> = [];
  const ns = new NotStaffed({ db: openRouterStore(':memory:'), org, live,
    send: async (agentId, roomId, content, txnId) => { sent.push({ agentId, roomId, content, txnId }); return '$n'; } });
  return { ns, sent };
}

describe('not-staffed employees', () => {
  it('passes everything through when every employee is live', async () => {
    const { ns, sent } = setup();
    const all = [d('message', unstaffed.matrixId)];
    expect(await ns.filter(all)).toEqual(all);
    expect(sent).toEqual([]);
  });

  it('answers a message to a non-live employee with one notice per room and day, as that employee', async () => {
    const { ns, sent } = setup(new Set([staffed.matrixId]));
    const first = d('message', unstaffed.matrixId);
    expect(await ns.filter([first, d('message', staffed.matrixId)])).toHaveLength(1);
    await ns.idle();
    expect(await ns.filter([d('message', unstaffed.matrixId)])).toEqual([]);
    await ns.idle();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ agentId: unstaffed.matrixId, content: { msgtype: 'm.notice', 'm.relates_to': { 'm.in_reply_to': { event_id: first.event.event_id } } } });
    expect(String(sent[0]!.content.body)).toContain('is not staffed');
    await ns.filter([d('message', unstaffed.matrixId, '!other:x')]);
    await ns.idle();
    expect(sent.map((s) => s.roomId)).toEqual(['!r:x', '!other:x']);
  });

  it('still lets a non-live employee accept invites, so a DM to them works at all', async () => {
    const { ns } = setup(new Set());
    const invite = d('invite', unstaffed.matrixId);
    expect(await ns.filter([invite])).toEqual([invite]);
  });

  it('retries a notice the homeserver could not take (5xx, no answer) without failing the event', async () => {
    let failures = 2;
    const sent: string[] = [];
    const ns = new NotStaffed({ db: openRouterStore(':memory:'), org, live: new Set(), retry: FAST,
      send: async (_a, roomId) => {
        if (failures-- > 0) throw Object.assign(new Error('bad gateway'), { statusCode: 502 });
        sent.push(roomId);
        return '$n';
      } });
    await expect(ns.filter([d('message', unstaffed.matrixId)])).resolves.toEqual([]);
    await ns.idle();
    expect(sent).toEqual(['!r:x']);
  });

  it('gives up at once on a notice the employee cannot send (M_FORBIDDEN: not in the room), and marks the day', async () => {
    let calls = 0;
    const ns = new NotStaffed({ db: openRouterStore(':memory:'), org, live: new Set(), retry: FAST,
      send: async () => {
        calls++;
        throw Object.assign(new Error('not in room'), { statusCode: 403, errcode: 'M_FORBIDDEN' });
      } });
    await expect(ns.filter([d('message', unstaffed.matrixId)])).resolves.toEqual([]);
    await ns.idle();
    expect(calls).toBe(1);
    await ns.filter([d('message', unstaffed.matrixId)]);
    await ns.idle();
    expect(calls).toBe(1);
  });

  it('never holds the event while a notice is slow: deliveries for live colleagues come back at once', async () => {
    let release!: () => void;
    const ns = new NotStaffed({ db: openRouterStore(':memory:'), org, live: new Set([staffed.matrixId]),
      send: () => new Promise((r) => { release = () => r('$n'); }) });
    const live = d('message', staffed.matrixId);
    expect(await ns.filter([d('message', unstaffed.matrixId), live])).toEqual([live]);
    // A second message to the same room while the first notice is in flight queues no second notice.
    expect(await ns.filter([d('message', unstaffed.matrixId)])).toEqual([]);
    release();
    await ns.idle();
  });

  it('forgets notices of days before yesterday', async () => {
    const db = openRouterStore(':memory:');
    const ns = new NotStaffed({ db, org, live: new Set(), send: async () => '$n' });
    db.prepare('INSERT INTO not_staffed_notices (room_id, agent_id, day) VALUES (?, ?, ?), (?, ?, ?)')
      .run('!a:x', unstaffed.matrixId, '2026-11-01', '!b:x', unstaffed.matrixId, '2026-12-02');
    expect(ns.prune(Date.parse('2026-12-03T12:00:00Z'))).toBe(1);
    expect(db.prepare('SELECT room_id FROM not_staffed_notices').all()).toEqual([{ room_id: '!b:x' }]);
  });
});
