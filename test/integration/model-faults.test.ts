import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptRule } from '../../src/providers/scripted/brain.ts';
import { LocalShardDriver } from '../../src/shard/drivers/local.ts';
import { CEO, startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { Human, type SeenMessage } from '../helpers/human.ts';
import { repliesTo, sleep, until } from '../helpers/wait.ts';

/**
 * A misbehaving model provider, on the production stack (a shard process: provider behind the shard's limiter): each
 * fault ends in bounded model calls and exactly one reply or one apology notice, and an agent next door on the same
 * shard answers normally meanwhile. Calls are counted at the scripted model, per agent and question marker.
 */
const RETRIES = 2; // provider retries after the first attempt (5xx, timeouts, broken streams)
const THROTTLE_RETRIES = 5; // the shard limiter's own retries of a 429 (provider-limiter.ts default)
const MAX_TOOL_ROUNDS = 6; // OpenClawAgentRuntime default: six rounds may call tools, the seventh must answer
const TIMEOUT_MS = 1500;

describe('model provider faults', { timeout: 120_000 }, () => {
  let fleet: TestFleet;
  let ceo: Human;
  let driver: LocalShardDriver;
  const used = new Set<string>();
  const rooms = new Map<string, string>();
  let markers = 0;

  beforeAll(async () => {
    fleet = await startTestFleet({ shards: 0 });
    await fleet.hs.registerUser(CEO.localpart, CEO.password);
    ceo = await Human.login(fleet.hs.url, CEO.localpart, CEO.password);
    const env = {
      ...fleet.shardProcessEnv(),
      FLEET_MODEL__DEFAULT: JSON.stringify({ kind: 'openai', baseUrl: fleet.model.url, model: 'scripted', stream: true, retries: RETRIES, timeoutMs: TIMEOUT_MS }),
    };
    driver = new LocalShardDriver({ cliPath: join(import.meta.dirname, '../../src/cli/main.ts'), basePort: 0, env, restart: false });
    await driver.scale(1);
    await until('the shard heartbeats', () => fleet.router.registry.current().shardIds.length === 1);
  });
  afterAll(async () => {
    ceo?.stop();
    await driver?.stopAll();
    await fleet?.close();
  });

  /** A fresh agent with an open DM, so scenarios never share an agent. */
  async function agent(): Promise<{ id: string; localpart: string; room: string }> {
    const p = fleet.org.agents().find((a) => !used.has(a.matrixId))!;
    used.add(p.matrixId);
    const room = await ceo.openDm(p.matrixId);
    await until(`${p.matrixId} joined`, async () => (await ceo.joinedMembers(room)).includes(p.matrixId), 30_000);
    rooms.set(p.matrixId, room);
    return { id: p.matrixId, localpart: p.localpart, room };
  }

  async function ask(a: { id: string; room: string }): Promise<{ marker: string; eventId: string }> {
    const marker = `F${++markers}-${Date.now().toString(36)}`;
    return { marker, eventId: await ceo.say(a.room, `Who do you report to? (${marker})`) };
  }

  /** Every model request of this agent's turn for this question: first call, retries and tool rounds. */
  const modelCalls = (agentId: string, marker: string) => fleet.model.requests().filter((r) => {
    const lastUser = r.messages.findLast((m) => m.role === 'user');
    return r.agentId === agentId && lastUser?.content.includes(marker);
  }).length;

  /**
   * Asks the faulty agent and, while its turn is failing, a healthy neighbour on the same shard. Returns the faulty
   * agent's one answer after checking the neighbour answered normally with one call, and nothing came twice.
   */
  async function scenario(rules: (localpart: string, marker: string) => ScriptRule[]): Promise<{ answer: SeenMessage; calls: number; ms: number }> {
    const faulty = await agent();
    const neighbour = await agent();
    const started = Date.now();
    const marker = `F${++markers}-${Date.now().toString(36)}`;
    fleet.model.addRules(rules(faulty.localpart, marker));
    const eventId = await ceo.say(faulty.room, `Who do you report to? (${marker})`);
    await until('the faulty turn reached the model', () => modelCalls(faulty.id, marker) > 0, 20_000);
    const other = await ask(neighbour);
    const [otherAnswer] = await ceo.waitFor((m) => m.sender === neighbour.id && repliesTo(other.eventId)(m), 30_000);
    expect(otherAnswer!.content.msgtype).toBe('m.text');
    expect(otherAnswer!.body).toMatch(/I report to/);
    const [answer] = await ceo.waitFor((m) => m.sender === faulty.id && repliesTo(eventId)(m), 90_000);
    const ms = Date.now() - started;
    await sleep(2000); // a duplicate would come right behind
    expect(ceo.seen.filter((m) => m.sender === faulty.id && m.roomId === faulty.room).length).toBe(1);
    expect(ceo.seen.filter((m) => m.sender === neighbour.id && m.roomId === neighbour.room).length).toBe(1);
    expect(modelCalls(neighbour.id, other.marker)).toBe(1);
    const calls = modelCalls(faulty.id, marker);
    console.log(`model fault: ${JSON.stringify(rules(faulty.localpart, marker)[0]?.fault ?? 'tool loop')} → ${calls} model calls, `
      + `${answer!.content.msgtype} after ${ms} ms; neighbour answered once with 1 call`);
    return { answer: answer!, calls, ms };
  }
  const apology = (a: SeenMessage) => {
    expect(a.content.msgtype).toBe('m.notice');
    expect(a.body).toMatch(/Sorry/);
  };

  it('429 with Retry-After twice, then an answer: the limiter waits as asked and the reply comes once', async () => {
    const r = await scenario((agent, match) => [{ agent, match, fault: { status: 429, retryAfterSeconds: 1 }, times: 2 }]);
    expect(r.answer.content.msgtype).toBe('m.text');
    expect(r.calls).toBe(3);
    expect(r.ms).toBeGreaterThanOrEqual(2000);
  });

  it('429 on every attempt: retried a bounded number of times, then one apology', async () => {
    const r = await scenario((agent, match) => [{ agent, match, fault: { status: 429, retryAfterSeconds: 1 } }]);
    apology(r.answer);
    expect(r.calls).toBe(1 + THROTTLE_RETRIES);
  });

  it('500 twice, then an answer', async () => {
    const r = await scenario((agent, match) => [{ agent, match, fault: { status: 500 }, times: 2 }]);
    expect(r.answer.content.msgtype).toBe('m.text');
    expect(r.calls).toBe(3);
  });

  it('503 on every attempt: bounded retries, one apology', async () => {
    const r = await scenario((agent, match) => [{ agent, match, fault: { status: 503 } }]);
    apology(r.answer);
    expect(r.calls).toBe(1 + RETRIES);
  });

  it('a model that never answers: each attempt times out, then one apology', async () => {
    const r = await scenario((agent, match) => [{ agent, match, fault: { hangMs: 30_000 } }]);
    apology(r.answer);
    expect(r.calls).toBe(1 + RETRIES);
    expect(r.ms).toBeGreaterThanOrEqual((1 + RETRIES) * TIMEOUT_MS);
  });

  it('a stream cut before it completes: retried, then one apology', async () => {
    const r = await scenario((agent, match) => [{ agent, match, fault: { malformedStream: 'truncated' } }]);
    apology(r.answer);
    expect(r.calls).toBe(1 + RETRIES);
  });

  it('a stream that is not JSON: not retried (a retry would not fix it), one apology', async () => {
    const r = await scenario((agent, match) => [{ agent, match, fault: { malformedStream: 'garbage' } }]);
    apology(r.answer);
    expect(r.calls).toBe(1);
  });

  it('a model that calls tools for ever (saying something each time): stopped after the tool budget, one reply', async () => {
    const loop = { name: 'people', arguments: { action: 'search', query: 'Morgan' } };
    const r = await scenario((agent, match) => [
      { agent, match, reply: 'Let me look that up.', toolCalls: [loop] },
      { agent, when: 'tool', reply: 'Let me look that up again.', toolCalls: [loop] },
    ]);
    expect(r.answer.content.msgtype).toBe('m.text');
    expect(r.calls).toBe(MAX_TOOL_ROUNDS + 1);
  });

  it('a model that calls tools for ever and never says a word: stopped after the tool budget, one apology', async () => {
    const loop = { name: 'people', arguments: { action: 'search', query: 'Morgan' } };
    const r = await scenario((agent, match) => [
      { agent, match, toolCalls: [loop] },
      { agent, when: 'tool', toolCalls: [loop] },
    ]);
    apology(r.answer);
    expect(r.calls).toBe(MAX_TOOL_ROUNDS + 1);
  });
});
