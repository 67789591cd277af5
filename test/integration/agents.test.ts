import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Human, type SeenMessage } from '../helpers/human.ts';
import { CEO, startTestFleet, type TestFleet } from '../helpers/fleet.ts';

const repliesTo = (eventId: string) => (m: SeenMessage) =>
  (m.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']?.event_id === eventId;
const mentions = (m: SeenMessage): string[] => ((m.content['m.mentions'] as { user_ids?: string[] } | undefined)?.user_ids ?? []);

async function waitJoined(human: Human, roomId: string, count: number): Promise<void> {
  for (let i = 0; i < 100 && (await human.joinedMembers(roomId)).length < count; i++) await new Promise((r) => setTimeout(r, 200));
  expect((await human.joinedMembers(roomId)).length).toBe(count);
}

/** Agents as OpenClaw loops with tools and memory, on the real homeserver, driven by the scripted model. */
describe('agents on OpenClaw through the real homeserver', () => {
  let fleet: TestFleet;
  let ceo: Human;

  beforeAll(async () => {
    fleet = await startTestFleet({ runtime: 'openclaw' });
    await fleet.hs.registerUser(CEO.localpart, CEO.password);
    ceo = await Human.login(fleet.hs.url, CEO.localpart, CEO.password);
  });

  afterAll(async () => {
    ceo?.stop();
    await fleet?.close();
  });

  it('a VP asks one of its directors for a status and reports back to the human', async () => {
    const vp = fleet.org.byLevel('VP').find((p) => p.department === 'Engineering')!;
    const director = fleet.org.reports(vp.matrixId)[0]!;
    await fleet.model.setRules([
      { agent: vp.matrixId, when: 'user', match: 'status of the (\\w+) migration',
        toolCalls: [{ name: 'message_colleague', arguments: { to: director.name, text: 'What is the status of the {{match.1}} migration?' } }] },
      { agent: vp.matrixId, when: 'tool', match: 'Sent to', reply: `I have asked ${director.name}; I will report back.` },
      { agent: director.matrixId, when: 'user', match: 'status of the (\\w+) migration',
        reply: 'The {{match.1}} migration is 75% complete: database done, API in progress, ETA 3 days.' },
      { agent: vp.matrixId, when: 'user', match: '(\\d+% complete.*)', reply: `Update from ${director.name}: {{match.1}}` },
    ]);
    const room = await ceo.createGroup('migration', [vp.matrixId, director.matrixId]);
    await waitJoined(ceo, room, 3);

    const question = await ceo.say(room, `${vp.name}, what is the status of the platform migration?`, { 'm.mentions': { user_ids: [vp.matrixId] } });

    const [ask] = await ceo.waitFor((m) => m.roomId === room && m.sender === vp.matrixId && mentions(m).includes(director.matrixId));
    expect(ask!.body).toContain('What is the status of the platform migration?');
    const [ack] = await ceo.waitFor((m) => m.sender === vp.matrixId && repliesTo(question)(m) && m.body.startsWith('I have asked'));
    expect(mentions(ack!)).toEqual([ceo.userId]);
    const [answer] = await ceo.waitFor((m) => m.sender === director.matrixId && repliesTo(ask!.eventId)(m));
    expect(answer!.body).toContain('75% complete');
    expect(mentions(answer!)).toEqual([vp.matrixId]);
    const [report] = await ceo.waitFor((m) => m.sender === vp.matrixId && repliesTo(question)(m) && m.body.startsWith('Update from'));
    expect(report!.body).toContain('75% complete');
    expect(mentions(report!)).toEqual([ceo.userId]);

    // The exchange ends there: the report mentions only the human, so nobody is triggered again.
    const ping = await ceo.say(room, `${director.name}, anything else?`, { 'm.mentions': { user_ids: [director.matrixId] } });
    await ceo.waitFor((m) => m.sender === director.matrixId && repliesTo(ping)(m));
    expect(ceo.seen.filter((m) => m.roomId === room && m.sender === director.matrixId)).toHaveLength(2);
    expect(ceo.seen.filter((m) => m.roomId === room && m.sender === vp.matrixId)).toHaveLength(3);
  });

  it('two agents scripted to ping each other forever stop at the hop limit', async () => {
    const [a, b] = [fleet.org.agents()[600]!, fleet.org.agents()[601]!];
    const rules = (me: typeof a, other: typeof a) => [
      { agent: me.matrixId, when: 'user' as const, match: 'ping',
        toolCalls: [{ name: 'message_colleague', arguments: { to: other.name, text: 'ping' } }] },
      { agent: me.matrixId, when: 'tool' as const, match: 'Sent to', reply: 'NO_REPLY' },
    ];
    await fleet.model.setRules([...rules(a, b), ...rules(b, a)]);
    const room = await ceo.createGroup('ping-pong', [a.matrixId, b.matrixId]);
    await waitJoined(ceo, room, 3);
    await ceo.say(room, `${a.name}: ping`, { 'm.mentions': { user_ids: [a.matrixId] } });

    // hop 0 is the human; each agent message is one hop more; the message arriving at the limit is not answered.
    const maxHops = 6;
    const pings = await ceo.waitFor((m) => m.roomId === room && m.body.endsWith(': ping') && m.sender !== ceo.userId, 30_000, maxHops);
    const shard = fleet.shards[0]!;
    for (let i = 0; i < 100 && shard.store.skipped('hop limit') === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(shard.store.skipped('hop limit')).toBe(1);
    expect(pings.map((p) => p.content['org.openclawfleet.hop'])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ceo.seen.filter((m) => m.roomId === room && m.sender !== ceo.userId)).toHaveLength(maxHops);
  });

  it('an agent remembers what it was told across a shard restart', async () => {
    const agent = fleet.org.agents()[321]!;
    await fleet.model.setRules([
      { agent: agent.matrixId, when: 'user', match: 'remember that (.*)', toolCalls: [{ name: 'remember', arguments: { note: '{{match.1}}' } }] },
      { agent: agent.matrixId, when: 'tool', match: 'remember|saved|noted', reply: 'Noted.' },
      { agent: agent.matrixId, when: 'user', match: 'what is the launch code', toolCalls: [{ name: 'recall', arguments: { query: 'launch code' } }] },
      { agent: agent.matrixId, when: 'tool', match: '(BLUE-\\d+)', reply: 'The launch code is {{match.1}}.' },
    ]);
    const room = await ceo.openDm(agent.matrixId);
    const told = await ceo.say(room, 'Please remember that the launch code is BLUE-42');
    const [noted] = await ceo.waitFor((m) => m.sender === agent.matrixId && repliesTo(told)(m));
    expect(noted!.body).toBe('Noted.');

    const shard = fleet.shards[0]!;
    await shard.close();
    fleet.shards.splice(0, 1);
    await fleet.startShard(shard.shardId);

    const asked = await ceo.say(room, 'What is the launch code?');
    const [answer] = await ceo.waitFor((m) => m.sender === agent.matrixId && repliesTo(asked)(m));
    expect(answer!.body).toBe('The launch code is BLUE-42.');
  });
});
