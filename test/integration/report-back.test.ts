import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Person } from '../../src/org/types.ts';
import type { ScriptRule } from '../../src/providers/scripted/brain.ts';
import { Human, type SeenMessage } from '../helpers/human.ts';
import { CEO, startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { repliesTo, sleep, turnStarts, until } from '../helpers/wait.ts';

const mentions = (m: SeenMessage): string[] => ((m.content['m.mentions'] as { user_ids?: string[] } | undefined)?.user_ids ?? []);
/** Each test's status names its ref, so one test's report is never counted in another's. */
const status = (ref: string): string => `${ref} is 75% complete: database done, API in progress, ETA 3 days`;

/**
 * Issue 9, "reporting back to humans": the CEO asks the VP of Engineering for the platform migration's status; the VP
 * looks up its reports, asks a director with message_colleague, gets the answer and reports. Whether the (scripted)
 * model reports through the tool or in its final text, the CEO gets the status once, in the room they asked in.
 */
describe('reporting back to the human who asked', () => {
  let fleet: TestFleet;
  let ceo: Human;
  let vp: Person;
  let director: Person;

  beforeAll(async () => {
    fleet = await startTestFleet({ runtime: 'openclaw' });
    await fleet.hs.registerUser(CEO.localpart, CEO.password).catch(() => undefined);
    ceo = await Human.login(fleet.hs.url, CEO.localpart, CEO.password);
    vp = fleet.org.byLevel('VP').find((p) => p.department === 'Engineering')!;
    director = fleet.org.reports(vp.matrixId)[0]!;
  });

  afterAll(async () => {
    ceo?.stop();
    await fleet?.close();
  });

  /** The VP's and the director's script; only how the VP reports differs. */
  function script(ref: string, report: 'tool' | 'final text'): ScriptRule[] {
    const toCeo = `Status of the platform migration: {{match.1}}`;
    return [
      { agent: vp.matrixId, match: `status of the platform migration \\(${ref}\\)`,
        toolCalls: [{ name: 'people', arguments: { action: 'reports', name: vp.name } }] },
      { agent: vp.matrixId, when: 'tool', match: 'Direct reports of',
        toolCalls: [{ name: 'message_colleague', arguments: { to: director.name, text: `What is the status of the platform migration (${ref})?` } }] },
      { agent: vp.matrixId, when: 'tool', match: '^Sent to', reply: `I have asked ${director.name}; I will report back.` },
      { agent: director.matrixId, match: `status of the platform migration \\(${ref}\\)`, reply: `Platform migration (${ref}): ${status(ref)}.` },
      report === 'tool'
        // Reports through the tool, asking for the CEO's DM although they asked in a room, then closes to the director.
        ? { agent: vp.matrixId, match: `Platform migration \\(${ref}\\): (.*)`,
          toolCalls: [{ name: 'message_colleague', arguments: { to: CEO.name, text: toCeo, room: 'direct' } }] }
        : { agent: vp.matrixId, match: `Platform migration \\(${ref}\\): (.*)`, reply: toCeo },
      { agent: vp.matrixId, when: 'tool', match: 'this is your answer', reply: 'Thanks, I have reported back.' },
    ];
  }

  async function askAndAwaitReport(ref: string, roomId: string): Promise<{ question: string; report: SeenMessage }> {
    const question = await ceo.say(roomId, `${vp.name}, what is the status of the platform migration (${ref})?`, { 'm.mentions': { user_ids: [vp.matrixId] } });
    const [report] = await ceo.waitFor((m) => m.sender === vp.matrixId && m.body.includes(status(ref)), 60_000);
    // Whatever else is still on its way would arrive by now.
    await sleep(2000);
    return { question, report: report! };
  }

  /** Every model call of an agent in one test's conversation (tool rounds included). */
  const callsOf = (agent: Person, ref: string): number =>
    fleet.model.requests().filter((r) => r.agentId === agent.matrixId && r.messages.some((m) => m.content.includes(`(${ref})`))).length;

  function expectOnceWhereAsked(ref: string, roomId: string, question: string, report: SeenMessage): void {
    expect(report.roomId).toBe(roomId);
    expect(repliesTo(question)(report)).toBe(true);
    expect(mentions(report)).toEqual([ceo.userId]);
    expect(report.body).toBe(`Status of the platform migration: ${status(ref)}.`);
    const substance = ceo.seen.filter((m) => m.body.includes(status(ref)) && m.sender !== director.matrixId);
    expect(substance.map((m) => m.eventId)).toEqual([report.eventId]);
    expect(ceo.seen.filter((m) => /reported back/i.test(m.body))).toEqual([]);
    // Exactly once is counted in model calls: one turn per (agent, message).
    expect(turnStarts(fleet.model, vp.matrixId, `status of the platform migration (${ref})`)).toBe(1);
    expect(turnStarts(fleet.model, director.matrixId, `status of the platform migration (${ref})`)).toBe(1);
    expect(turnStarts(fleet.model, vp.matrixId, `Platform migration (${ref}):`)).toBe(1);
  }

  it('the VP reports through message_colleague (asking for a DM): the status reaches the room the CEO asked in, once, without the closing remark', async () => {
    await fleet.model.setRules(script('PM-A', 'tool'));
    const room = await ceo.createGroup('platform migration', [vp.matrixId]);
    await until('the VP joined', async () => (await ceo.joinedMembers(room)).includes(vp.matrixId));
    const { question, report } = await askAndAwaitReport('PM-A', room);
    expectOnceWhereAsked('PM-A', room, question, report);
    // people, message_colleague, the acknowledgement; then message_colleague to the CEO and its closing remark.
    expect([callsOf(vp, 'PM-A'), callsOf(director, 'PM-A')]).toEqual([5, 1]);
    // The director was asked in the pair's DM (not a member of the CEO's room), and nothing went to a DM with the CEO.
    expect(ceo.seen.filter((m) => m.roomId !== room && m.sender === vp.matrixId)).toEqual([]);
    const ack = ceo.seen.filter((m) => m.roomId === room && m.sender === vp.matrixId && m.body.startsWith('I have asked'));
    expect(ack).toHaveLength(1);
  });

  it('the VP reports in its final text: the status reaches the DM the CEO asked in, once', async () => {
    await fleet.model.setRules(script('PM-B', 'final text'));
    const dm = await ceo.openDm(vp.matrixId);
    await until('the VP joined the DM', async () => (await ceo.joinedMembers(dm)).includes(vp.matrixId));
    const { question, report } = await askAndAwaitReport('PM-B', dm);
    expectOnceWhereAsked('PM-B', dm, question, report);
    expect([callsOf(vp, 'PM-B'), callsOf(director, 'PM-B')]).toEqual([4, 1]);
  });
});
