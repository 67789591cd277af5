import { describe, expect, it } from 'vitest';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { NotStaffed } from '../../../src/router/not-staffed.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { deliveryId, type Delivery } from '../../../src/shard/protocol.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const [staffed, unstaffed] = [org.agents()[0]!, org.agents()[1]!];

let n = 0;
const d = (kind: Delivery['kind'], agentId: string, roomId = '!r:x'): Delivery => {
  const eventId = `$e${++n}`;
  return { id: deliveryId(kind, agentId, eventId), kind, agentId, roomId, room: { isDirect: true, members: [] },
    event: { event_id: eventId, room_id: roomId, sender: '@morgan.blake:anycompany.corp', type: 'm.room.message', content: { body: 'hi' } } };
};

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
    expect(await ns.filter([d('message', unstaffed.matrixId)])).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ agentId: unstaffed.matrixId, content: { msgtype: 'm.notice', 'm.relates_to': { 'm.in_reply_to': { event_id: first.event.event_id } } } });
    expect(String(sent[0]!.content.body)).toContain('is not staffed');
    await ns.filter([d('message', unstaffed.matrixId, '!other:x')]);
    expect(sent.map((s) => s.roomId)).toEqual(['!r:x', '!other:x']);
  });

  it('still lets a non-live employee accept invites, so a DM to them works at all', async () => {
    const { ns } = setup(new Set());
    const invite = d('invite', unstaffed.matrixId);
    expect(await ns.filter([invite])).toEqual([invite]);
  });

  it('sends again after a failed send (nothing is marked until the notice went out)', async () => {
    let fail = true;
    const sent: string[] = [];
    const ns = new NotStaffed({ db: openRouterStore(':memory:'), org, live: new Set(),
      send: async (_a, roomId) => { if (fail) throw new Error('homeserver down'); sent.push(roomId); return '$n'; } });
    await expect(ns.filter([d('message', unstaffed.matrixId)])).rejects.toThrow('homeserver down');
    fail = false;
    await ns.filter([d('message', unstaffed.matrixId)]);
    expect(sent).toEqual(['!r:x']);
  });
});
