import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { movedShare } from '../../src/protocol/placement.ts';
import type { LocalShardDriver } from '../../src/shard/drivers/local.ts';
import { CEO, spawnShardProcesses, startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { Human } from '../helpers/human.ts';
import { repliesTo, turnStarts, until } from '../helpers/wait.ts';

/** This file's waits are 30 s. */
const WAIT_MS = 30_000;

/** Several shard processes (started through the CLI, as `up` does) behind one router, on the real homeserver. */
describe('shards', () => {
  let fleet: TestFleet;
  let driver: LocalShardDriver;
  let ceo: Human;
  /** One DM room per agent used here. */
  const dms = new Map<string, string>();

  const liveShards = () => fleet.router.registry.current().shardIds;
  const shardOf = (agentId: string) => fleet.router.registry.current().shardFor(agentId);

  async function ask(agentId: string, text: string): Promise<string> {
    let room = dms.get(agentId);
    if (!room) {
      room = await ceo.openDm(agentId);
      dms.set(agentId, room);
    }
    return ceo.say(room, text);
  }
  const answered = (agentId: string, eventId: string) => ceo.waitFor((m) => m.sender === agentId && repliesTo(eventId)(m), 30_000);
  const answersTo = (eventId: string) => ceo.seen.filter(repliesTo(eventId)).length;
  const turnCalls = (agentId: string, text: string) => turnStarts(fleet.model, agentId, text);

  beforeAll(async () => {
    fleet = await startTestFleet({ shards: 0, modelLatencyMs: 400 });
    driver = await spawnShardProcesses(fleet, 3, { timeoutMs: WAIT_MS });
    await fleet.hs.registerUser(CEO.localpart, CEO.password);
    ceo = await Human.login(fleet.hs.url, CEO.localpart, CEO.password);
  });

  afterAll(async () => {
    ceo?.stop();
    await driver?.stopAll();
    await fleet?.close();
  });

  it('agents hosted on different shards all answer', async () => {
    const agents = fleet.org.agents();
    const onePerShard = liveShards().map((s) => agents.find((a) => shardOf(a.matrixId) === s)!);
    expect(new Set(onePerShard.map((a) => shardOf(a.matrixId))).size).toBe(3);
    const asked = await Promise.all(onePerShard.map(async (a) => [a.matrixId, await ask(a.matrixId, 'Who do you report to?')] as const));
    for (const [agentId, eventId] of asked) {
      const [reply] = await answered(agentId, eventId);
      expect(reply!.body).toContain(fleet.org.manager(agentId)!.name);
      // The model takes 400 ms here: long enough for the agent to show as typing while it works.
      expect(ceo.typing.get(dms.get(agentId)!)?.has(agentId)).toBe(true);
    }
  });

  it('scaling 3→4 moves at most 30% of agents and loses or duplicates no message meanwhile', async () => {
    const ids = fleet.org.agents().map((a) => a.matrixId);
    const before = [...liveShards()];
    const sample = fleet.org.agents().slice(100, 106).map((a) => a.matrixId);
    const firstRound = await Promise.all(sample.map(async (a) => [a, await ask(a, 'Before and during the rescale')] as const));
    await driver.scale(4);
    await until('4 shards heartbeat', () => liveShards().length === 4, WAIT_MS);
    const secondRound = await Promise.all(sample.map(async (a) => [a, await ask(a, 'After the rescale')] as const));
    for (const [a, e] of [...firstRound, ...secondRound]) await answered(a, e);
    // Each agent handles its messages in order: once the second is answered, the first cannot be answered again.
    for (const [, e] of [...firstRound, ...secondRound]) expect(answersTo(e)).toBe(1);
    expect(movedShare(ids, before, liveShards())).toBeLessThanOrEqual(0.3);
  });

  it('a shard killed with SIGKILL mid-turn: its agent answers once, from its new shard', async () => {
    const victimShard = 'shard-1';
    const agent = fleet.org.agents().find((a) => shardOf(a.matrixId) === victimShard && !dms.has(a.matrixId))!.matrixId;
    await answered(agent, await ask(agent, 'Hello before the crash'));

    const requestsBefore = fleet.model.requests().length;
    const inFlight = await ask(agent, 'Who do you report to? (asked as the shard dies)');
    // The model call has started (the scripted model holds it 400 ms): the turn is in the middle.
    await until('the agent is mid-turn', () => fleet.model.requests().slice(requestsBefore).some((r) => r.agentId === agent), WAIT_MS);
    driver.child(victimShard)!.kill('SIGKILL');

    await until('the dead shard leaves placement', () => !liveShards().includes(victimShard), WAIT_MS);
    expect(shardOf(agent)).not.toBe(victimShard);
    const [reply] = await answered(agent, inFlight);
    expect(reply!.body).toContain(fleet.org.manager(agent)!.name);
    await answered(agent, await ask(agent, 'And after the crash?'));
    expect(answersTo(inFlight)).toBe(1);
    // The dead shard's call was paid and lost with it; its successor paid once more. Never a third time:
    const calls = () => turnCalls(agent, 'asked as the shard dies');
    expect(calls()).toBe(2);

    // The killed shard comes back with the delivery still pending in its store: it must not run it again.
    await driver.scale(4);
    await until('the killed shard is back', () => liveShards().includes(victimShard), WAIT_MS);
    await new Promise((r) => setTimeout(r, 3000));
    expect(calls()).toBe(2);
    expect(answersTo(inFlight)).toBe(1);
  });
});
