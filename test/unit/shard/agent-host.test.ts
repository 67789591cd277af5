import { describe, expect, it } from 'vitest';
import type { AgentRuntime, AgentTurnInput } from '../../../src/agents/runtime.ts';
import type { AgentMatrix } from '../../../src/matrix/agent-actions.ts';
import { replyTxnId } from '../../../src/matrix/agent-actions.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { ProviderError } from '../../../src/providers/types.ts';
import { AgentHost, type WorkGate } from '../../../src/shard/agent-host.ts';
import { CONVERSATION_KEY, HOP_KEY } from '../../../src/shard/conversation.ts';
import type { Delivery } from '../../../src/protocol/wire.ts';
import { ShardStore } from '../../../src/shard/store.ts';
import { logger } from '../../../src/log.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const ceo = org.humans()[0]!;
const vp = org.byLevel('VP')[0]!;
const director = org.reports(vp.matrixId)[0]!;

interface Sent { agentId: string; roomId: string; content: Record<string, unknown>; txnId: string }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gate that grants every claim unless told otherwise, and records what it was asked. */
function gate(overrides: Partial<WorkGate> = {}): WorkGate & { claims: string[]; reports: number } {
  const g = {
    claims: [] as string[], reports: 0,
    claim: async (id: string) => { g.claims.push(id); return 'granted' as const; },
    holds: () => false, remainingMs: () => 60_000, forget() {}, owns: () => true,
    reportSoon() { g.reports++; },
    ...overrides,
  };
  return g;
}

function host(turn: (input: AgentTurnInput) => Promise<string | null>, opts: { gate?: WorkGate; store?: ShardStore;
  send?: (attempt: number) => void; drainMs?: number } = {}) {
  const sent: Sent[] = [];
  /** Model calls per (agent, event): the proof of exactly-once. */
  const calls = new Map<string, number>();
  let sendAttempts = 0;
  const matrix = {
    join: async () => {}, leave: async () => {}, typing: async () => {},
    send: async (agentId: string, roomId: string, content: Record<string, unknown>, txnId: string) => {
      opts.send?.(++sendAttempts);
      sent.push({ agentId, roomId, content, txnId });
      return `$sent${sent.length}`;
    },
  } as unknown as AgentMatrix;
  const runtime: AgentRuntime = {
    kind: 'fake',
    turn: async (input, signal) => {
      const key = `${input.agent.matrixId} ${input.eventId}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      const reply = await Promise.race([turn(input), new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)))]);
      return { reply, toolActivity: [], usage: { inputTokens: 3, outputTokens: 2 }, provider: 'fake', model: 'fake' };
    },
    hibernate: async () => {}, close: async () => {},
  };
  const store = opts.store ?? new ShardStore(':memory:');
  const h = new AgentHost({ org, store, matrix, runtime, log: logger, maxHops: 6, maxInputChars: 100, maxReplyChars: 50,
    retryBaseMs: 5, ...(opts.gate ? { gate: opts.gate } : {}) });
  return { h, sent, store, calls };
}

let n = 0;
function message(agentId: string, sender: string, content: Record<string, unknown>, extra: Partial<Delivery> = {}): Delivery {
  const eventId = `$ev${++n}`;
  return {
    id: `message:${agentId}:${eventId}`, kind: 'message', agentId, roomId: '!room:x', room: { isDirect: false },
    event: { event_id: eventId, room_id: '!room:x', sender, type: 'm.room.message', content: { msgtype: 'm.text', ...content } },
    ...extra,
  };
}

describe('agent host', () => {
  it('replies to the message, mentioning its sender, with a transaction id stable for (event, agent); the outcome waits in the store for the router', async () => {
    const g = gate();
    const { h, sent, store } = host(async () => 'Hello!', { gate: g });
    const d = message(vp.matrixId, ceo.matrixId, { body: 'hi' });
    h.accept([d]);
    await h.idle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.content).toMatchObject({
      msgtype: 'm.text', body: 'Hello!', 'm.mentions': { user_ids: [ceo.matrixId] },
      'm.relates_to': { 'm.in_reply_to': { event_id: d.event.event_id } }, [HOP_KEY]: 1,
    });
    expect(sent[0]!.txnId).toBe(replyTxnId(d.event.event_id, vp.matrixId));
    expect(g.claims).toContain(d.id);
    // Durable: the completion report is read from the store, so a crash before it is sent loses nothing.
    expect(store.unreported()).toEqual([{ id: d.id, state: 'done', reply: 'Hello!' }]);
    expect(g.reports).toBeGreaterThan(0);
  });

  it('answers with a short apology notice when the model is down, instead of going silent', async () => {
    const { h, sent, store } = host(async () => { throw new ProviderError('down', { kind: 'unavailable', provider: 'fake' }); });
    h.accept([message(vp.matrixId, ceo.matrixId, { body: 'status?' })]);
    await h.idle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.content.msgtype).toBe('m.notice');
    expect(String(sent[0]!.content.body)).toMatch(/^Sorry/);
    expect(store.counts().done).toBe(1);
    expect(store.turnsSince(0, 10)[0]).toMatchObject({ outcome: 'apology', agentId: vp.matrixId });
  });

  it('does not answer a colleague past the hop limit', async () => {
    const { h, sent, store, calls } = host(async () => 'again');
    h.accept([message(vp.matrixId, director.matrixId, { body: 'ping', [HOP_KEY]: 6,
      [CONVERSATION_KEY]: { root_event: '$root', root_room: '!root:x', root_sender: ceo.matrixId } })]);
    await h.idle();
    expect(sent).toHaveLength(0);
    expect(calls.size).toBe(0);
    expect(store.skipped('hop limit')).toBe(1);
  });

  it('reports a colleague\'s answer back to whoever started the conversation, in that room', async () => {
    const { h, sent } = host(async (input) => `${input.sender.name} says: ${input.text}`);
    const conv = { root_event: '$question', root_room: '!dm-with-ceo:x', root_sender: ceo.matrixId };
    h.accept([message(vp.matrixId, director.matrixId, { body: '75% done', [HOP_KEY]: 2, [CONVERSATION_KEY]: conv },
      { replyToSender: vp.matrixId })]);
    await h.idle();
    expect(sent[0]).toMatchObject({ roomId: '!dm-with-ceo:x', content: {
      'm.relates_to': { 'm.in_reply_to': { event_id: '$question' } }, 'm.mentions': { user_ids: [ceo.matrixId] }, [HOP_KEY]: 3,
    } });
  });

  it('runs one agent\'s turns one at a time and in order (while other agents run in parallel), and ignores a redelivery', async () => {
    const order: string[] = [];
    let running = 0;
    let maxRunning = 0;
    let otherAgentOverlapped = false;
    const { h, sent, calls } = host(async (input) => {
      if (input.agent.matrixId !== vp.matrixId) {
        otherAgentOverlapped = running > 0;
        return 'other';
      }
      running++;
      maxRunning = Math.max(maxRunning, running);
      order.push(input.text);
      await sleep(15);
      running--;
      return 'x'.repeat(80);
    });
    const first = message(vp.matrixId, ceo.matrixId, { body: 'a'.repeat(150) });
    const rest = [1, 2, 3].map((i) => message(vp.matrixId, ceo.matrixId, { body: `m${i}` }));
    h.accept([first, ...rest]);
    await sleep(5);
    h.accept([message(director.matrixId, ceo.matrixId, { body: 'meanwhile' })]);
    h.accept([first]);
    await h.idle();
    expect(maxRunning).toBe(1);
    expect(otherAgentOverlapped).toBe(true);
    expect(order[0]).toContain('[message truncated: 150 characters in all]');
    expect(order.slice(1)).toEqual(['m1', 'm2', 'm3']);
    expect([...calls.values()].every((c) => c === 1)).toBe(true);
    expect(sent).toHaveLength(5);
    expect(String(sent.find((s) => s.agentId === vp.matrixId)!.content.body)).toMatch(/^x{50}… \[reply truncated\]$/);
  });

  it('keeps a paid reply through a homeserver outage and posts it when the homeserver is back: one model call', async () => {
    const down = Object.assign(new Error('bad gateway'), { statusCode: 502 });
    const { h, sent, store, calls } = host(async () => 'worth the wait', { send: (attempt) => { if (attempt <= 4) throw down; } });
    const d = message(vp.matrixId, ceo.matrixId, { body: 'during the outage' });
    h.accept([d]);
    await h.idle();
    expect(calls.get(`${vp.matrixId} ${d.event.event_id}`)).toBe(1);
    expect(sent.map((s) => s.content.body)).toEqual(['worth the wait']);
    expect(store.state(d.id)).toBe('done');
  });

  it('gives up at once on a homeserver answer a retry cannot change (403)', async () => {
    const forbidden = Object.assign(new Error('not in room'), { statusCode: 403 });
    let attempts = 0;
    const { h, store } = host(async () => 'hi', { send: () => { attempts++; throw forbidden; } });
    const d = message(vp.matrixId, ceo.matrixId, { body: 'hello' });
    h.accept([d]);
    await h.idle();
    expect(attempts).toBe(1);
    expect(store.state(d.id)).toBe('failed');
  });

  it('after a crash between the turn and the post, posts the saved reply without asking the model again', async () => {
    const store = new ShardStore(':memory:');
    const d = message(vp.matrixId, ceo.matrixId, { body: 'asked before the crash' });
    const [stored] = store.accept([d]);
    store.saveTurn(stored!.seq, 'decided before the crash', undefined, {
      at: 1, deliveryId: d.id, agentId: vp.matrixId, senderId: ceo.matrixId, roomId: d.roomId, eventId: d.event.event_id,
      latencyMs: 1, provider: 'fake', model: 'fake', inputTokens: 1, outputTokens: 1, costUsd: 0, outcome: 'replied',
    });
    const { h, sent, calls } = host(async () => 'asked again', { store });
    h.resumePending();
    await h.idle();
    expect(calls.size).toBe(0);
    expect(sent.map((s) => s.content.body)).toEqual(['decided before the crash']);
  });

  it('does nothing for a delivery the router has handed to another shard', async () => {
    const g = gate({ claim: async () => 'moved' });
    const { h, sent, store, calls } = host(async () => 'should not run', { gate: g });
    const d = message(vp.matrixId, ceo.matrixId, { body: 'moved away' });
    h.accept([d]);
    await h.idle();
    expect(calls.size).toBe(0);
    expect(sent).toHaveLength(0);
    expect(store.state(d.id)).toBe('released');
  });

  it('an agent this shard lost gives its waiting work back; the running turn finishes', async () => {
    let owns = true;
    const g = gate({ owns: () => owns });
    const { h, sent, store, calls } = host(async () => { await sleep(30); return 'done'; }, { gate: g });
    const running = message(vp.matrixId, ceo.matrixId, { body: 'first' });
    const waiting = message(vp.matrixId, ceo.matrixId, { body: 'second' });
    h.accept([running, waiting]);
    await sleep(5);
    owns = false;
    h.placementChanged();
    await h.idle();
    expect(sent).toHaveLength(1);
    expect(calls.size).toBe(1);
    expect(store.state(running.id)).toBe('done');
    expect(store.state(waiting.id)).toBe('released');
    expect(store.unreported().map((r) => [r.id, r.state])).toContainEqual([waiting.id, 'released']);
  });

  it('an orderly stop lets the running turn finish, then gives back what waits, carrying any paid reply', async () => {
    const down = Object.assign(new Error('homeserver down'), { statusCode: 503 });
    const { h, store, calls } = host(async (input) => { await sleep(20); return `answer to ${input.text}`; },
      { send: () => { throw down; } });
    const first = message(vp.matrixId, ceo.matrixId, { body: 'one' });
    const second = message(vp.matrixId, ceo.matrixId, { body: 'two' });
    h.accept([first, second]);
    await sleep(60); // the first turn is done and its post is retrying against the down homeserver
    await h.drain(20);
    expect(calls.size).toBe(1);
    const outcomes = Object.fromEntries(store.unreported().map((r) => [r.id, r]));
    expect(outcomes[first.id]).toMatchObject({ state: 'released', reply: 'answer to one' });
    expect(outcomes[second.id]).toMatchObject({ state: 'released', reply: null });
  });

  it('joins an encrypted room it was invited to and says once that it cannot read it', async () => {
    const { h, sent } = host(async () => 'unused');
    const invite = (eventId: string): Delivery => ({
      id: `invite:${vp.matrixId}:${eventId}`, kind: 'invite', agentId: vp.matrixId, roomId: '!secret:x', room: { isDirect: true },
      event: { event_id: eventId, room_id: '!secret:x', sender: ceo.matrixId, type: 'm.room.member', state_key: vp.matrixId,
        content: { membership: 'invite' }, unsigned: { invite_room_state: [{ type: 'm.room.encryption', state_key: '', content: {} }] } },
    });
    h.accept([invite('$i1')]);
    h.accept([invite('$i2')]); // invited again later: same notice, same transaction id, so the homeserver keeps one
    await h.idle();
    expect(sent.map((s) => s.content.msgtype)).toEqual(['m.notice', 'm.notice']);
    expect(String(sent[0]!.content.body)).toMatch(/encrypted/);
    expect(new Set(sent.map((s) => s.txnId)).size).toBe(1);
  });

  it('a delivery given back with a paid reply is posted by its next shard without a model call', async () => {
    const { h, sent, calls } = host(async () => 'should not run');
    h.accept([message(vp.matrixId, ceo.matrixId, { body: 'x' }, { reply: 'paid for elsewhere' })]);
    await h.idle();
    expect(calls.size).toBe(0);
    expect(sent.map((s) => s.content.body)).toEqual(['paid for elsewhere']);
  });
});
