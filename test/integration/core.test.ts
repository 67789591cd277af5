import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Human } from '../helpers/human.ts';
import { CEO, startTestFleet, type TestFleet } from '../helpers/fleet.ts';

/**
 * The core slice against the real local Synapse: a human with a real client talks to employees who do not exist on
 * the homeserver until the appservice creates them.
 */
describe('fleet core on a real homeserver', () => {
  let fleet: TestFleet;
  let ceo: Human;
  let dmRoom: string;

  beforeAll(async () => {
    fleet = await startTestFleet();
    await fleet.hs.registerUser(CEO.localpart, CEO.password);
    ceo = await Human.login(fleet.hs.url, CEO.localpart, CEO.password);
  });

  afterAll(async () => {
    ceo?.stop();
    await fleet?.close();
  });

  const agentAt = (i: number) => fleet.org.agents()[i]!;
  const repliesTo = (eventId: string) => (m: { content: Record<string, unknown> }) =>
    (m.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']?.event_id === eventId;

  it('a DM to a never-provisioned employee gets an answer from the directory', async () => {
    const agent = agentAt(500);
    const manager = fleet.org.manager(agent.matrixId)!;
    dmRoom = await ceo.openDm(agent.matrixId);
    const asked = await ceo.say(dmRoom, 'Hi! Who do you report to?');
    const [reply] = await ceo.waitFor((m) => m.roomId === dmRoom && m.sender === agent.matrixId);
    expect(reply!.body).toContain(manager.name);
    expect(repliesTo(asked)(reply!)).toBe(true);
    expect((reply!.content['m.mentions'] as { user_ids: string[] }).user_ids).toEqual([ceo.userId]);
    expect(await ceo.joinedMembers(dmRoom)).toEqual(expect.arrayContaining([ceo.userId, agent.matrixId]));
    const profile = await ceo.client.getProfileInfo(agent.matrixId);
    expect(profile.displayname).toBe(agent.name);
  });

  it('mentioning two agents in a group room gets exactly two replies; no mention gets none', async () => {
    const [a, b, c] = [agentAt(10), agentAt(11), agentAt(12)];
    const room = await ceo.createGroup('core-group', [a.matrixId, b.matrixId, c.matrixId]);
    // Invites are accepted by the agents themselves; wait until all three have joined.
    for (let i = 0; i < 100 && (await ceo.joinedMembers(room)).length < 4; i++) await new Promise((r) => setTimeout(r, 200));
    expect((await ceo.joinedMembers(room)).length).toBe(4);

    const silent = await ceo.say(room, 'Good morning everyone, no need to answer this.');
    const asked = await ceo.say(room, `${a.name} and ${b.name}: who do you report to?`, {
      'm.mentions': { user_ids: [a.matrixId, b.matrixId] },
    });
    const replies = await ceo.waitFor((m) => m.roomId === room && repliesTo(asked)(m), 20_000, 2);
    expect(replies.map((r) => r.sender).sort()).toEqual([a.matrixId, b.matrixId].sort());

    // The router handles a room's events in order, so once a later message is answered the silent one was decided.
    const later = await ceo.say(room, 'One more question for you', { 'm.mentions': { user_ids: [c.matrixId] } });
    await ceo.waitFor((m) => m.roomId === room && repliesTo(later)(m));
    expect(ceo.seen.filter(repliesTo(silent))).toHaveLength(0);
    expect(ceo.seen.filter(repliesTo(asked))).toHaveLength(2);
  });

  it('a transaction delivered twice, and the same event in another transaction, is answered once', async () => {
    const agent = agentAt(500);
    const event = {
      event_id: `$redelivered-${Date.now()}`, room_id: dmRoom, sender: ceo.userId, type: 'm.room.message',
      origin_server_ts: Date.now(), content: { msgtype: 'm.text', body: 'who do you report to? (redelivered)' },
    };
    const put = (txnId: string) => fetch(`${fleet.routerUrl}/_matrix/app/v1/transactions/${txnId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${fleet.hs.registration.hsToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [event] }),
    });
    const txn = `test-txn-${Date.now()}`;
    expect((await put(txn)).status).toBe(200);
    expect((await put(txn)).status).toBe(200);
    expect((await put(`${txn}-again`)).status).toBe(200);
    await ceo.waitFor((m) => m.sender === agent.matrixId && repliesTo(event.event_id)(m));

    const later = await ceo.say(dmRoom, 'And who are you?');
    await ceo.waitFor((m) => m.sender === agent.matrixId && repliesTo(later)(m));
    expect(ceo.seen.filter(repliesTo(event.event_id))).toHaveLength(1);
  });

  it('a transaction with a wrong hs_token is refused with 403 and nothing is processed', async () => {
    const res = await fetch(`${fleet.routerUrl}/_matrix/app/v1/transactions/forged-1`, {
      method: 'PUT',
      headers: { authorization: 'Bearer not-the-hs-token', 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ event_id: '$forged', room_id: dmRoom, sender: ceo.userId, type: 'm.room.message', content: { msgtype: 'm.text', body: 'hi' } }] }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errcode: string }).errcode).toBe('M_FORBIDDEN');
    expect(fleet.router.inbox.seen('event', '$forged')).toBe(false);
    expect(fleet.router.inbox.seen('transaction', 'forged-1')).toBe(false);
  });

  it('answers the homeserver ping, so a broken link is caught at start-up', async () => {
    expect((await fleet.router.verifyLink()).ok).toBe(true);
  });

  it('the user query creates employees but never humans or strangers', async () => {
    const q = (userId: string) => fetch(`${fleet.routerUrl}/_matrix/app/v1/users/${encodeURIComponent(userId)}`, {
      headers: { authorization: `Bearer ${fleet.hs.registration.hsToken}` },
    });
    expect((await q(agentAt(700).matrixId)).status).toBe(200);
    expect((await q(ceo.userId)).status).toBe(404);
    expect((await q('@nobody.here:anycompany.corp')).status).toBe(404);
    const profile = await ceo.client.getProfileInfo(agentAt(700).matrixId);
    expect(profile.displayname).toBe(agentAt(700).name);
  });
});
