import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Person } from '../../src/org/types.ts';
import type { ScriptRule } from '../../src/providers/scripted/brain.ts';
import { Human } from '../helpers/human.ts';
import { CEO, startTestFleet, testOrg, type TestFleet } from '../helpers/fleet.ts';
import { turnStarts, until } from '../helpers/wait.ts';

/** An employee made a human of this fleet's org (config org.humans): someone agents write to who did not ask. */
const PERSON = testOrg('anycompany.corp').agents()[700]!;
const PASSWORD = 'human-quota-test-password-1';

/**
 * agents.maxMessagesToHumanPerDay holds for the fleet, not per shard: with a limit of 1, an agent on shard-0 writes
 * to the person, and then neither an agent on shard-1 nor the first agent again may (the router counts).
 */
describe('the daily bound of messages to one human, across shards', () => {
  let fleet: TestFleet;
  let ceo: Human;
  let person: Human;
  let room = '';
  let onShard: [Person, Person];

  beforeAll(async () => {
    fleet = await startTestFleet({ shards: 2, humans: [PERSON.localpart], router: { maxMessagesToHumanPerDay: 1 } });
    await fleet.hs.registerUser(CEO.localpart, CEO.password).catch(() => undefined);
    await fleet.hs.registerUser(PERSON.localpart, PASSWORD).catch(() => undefined);
    [ceo, person] = await Promise.all([Human.login(fleet.hs.url, CEO.localpart, CEO.password), Human.login(fleet.hs.url, PERSON.localpart, PASSWORD)]);
    const shardOf = (p: Person) => fleet.router.registry.current().shardFor(p.matrixId);
    const agents = fleet.org.agents();
    onShard = [agents.find((p) => shardOf(p) === 'shard-0')!, agents.find((p) => shardOf(p) === 'shard-1')!];
    room = await ceo.createGroup('human-quota', [...onShard.map((p) => p.matrixId), person.userId]);
    await person.client.joinRoom(room);
    await until('everyone joined', async () => (await ceo.joinedMembers(room)).length === 4);
  });
  afterAll(async () => {
    ceo?.stop();
    person?.stop();
    await fleet?.close();
  });

  /** Each agent, asked with `ref`, writes to the person, then says what the tool answered. */
  const rules = (agents: Person[]): ScriptRule[] => agents.flatMap((a) => [
    { agent: a.matrixId, match: '\\((HQ-\\d)\\)', toolCalls: [{ name: 'message_colleague', arguments: { to: PERSON.name, text: `Build is green ({{match.1}}, from ${a.name})` } }] },
    { agent: a.matrixId, when: 'tool', match: 'refused', reply: 'QUOTA: refused' },
    { agent: a.matrixId, when: 'tool', match: '^Sent to', reply: 'QUOTA: sent' },
  ]);
  it('one message reaches the person; the other shard\'s agent and the first agent again are refused', async () => {
    await fleet.model.setRules(rules(onShard));
    const answers: string[] = [];
    for (const [agent, ref] of [[onShard[0], 'HQ-1'], [onShard[1], 'HQ-2'], [onShard[0], 'HQ-3']] as const) {
      const before = ceo.seen.filter((m) => m.body.startsWith('QUOTA:')).length;
      await ceo.say(room, `${agent.name}, tell ${PERSON.name} the build is green (${ref})`, { 'm.mentions': { user_ids: [agent.matrixId] } });
      await ceo.waitFor(() => ceo.seen.filter((m) => m.body.startsWith('QUOTA:')).length > before, 30_000);
      answers.push(ceo.seen.filter((m) => m.body.startsWith('QUOTA:')).at(-1)!.body);
      // Exactly once: one turn per question.
      expect(turnStarts(fleet.model, agent.matrixId, `(${ref})`)).toBe(1);
    }
    expect(answers).toEqual(['QUOTA: sent', 'QUOTA: refused', 'QUOTA: refused']);
    expect(person.seen.filter((m) => m.body.startsWith('Build is green')).map((m) => m.body)).toEqual([`Build is green (HQ-1, from ${onShard[0].name})`]);
  });
});
