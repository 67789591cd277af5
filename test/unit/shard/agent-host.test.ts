import { describe, expect, it } from 'vitest';
import type { AgentRuntime, AgentTurnInput } from '../../../src/agents/runtime.ts';
import type { AgentMatrix } from '../../../src/matrix/agent-actions.ts';
import { replyTxnId } from '../../../src/matrix/agent-actions.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { ProviderError } from '../../../src/providers/types.ts';
import { AgentHost } from '../../../src/shard/agent-host.ts';
import { CONVERSATION_KEY, HOP_KEY } from '../../../src/shard/conversation.ts';
import type { Delivery } from '../../../src/shard/protocol.ts';
import { ShardStore } from '../../../src/shard/store.ts';
import { logger } from '../../../src/log.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const ceo = org.humans()[0]!;
const vp = org.byLevel('VP')[0]!;
const director = org.reports(vp.matrixId)[0]!;

interface Sent { agentId: string; roomId: string; content: Record<string, unknown>; txnId: string }

function host(turn: (input: AgentTurnInput) => Promise<string | null>) {
  const sent: Sent[] = [];
  const finished: string[] = [];
  const matrix = {
    join: async () => {}, leave: async () => {}, typing: async () => {},
    send: async (agentId: string, roomId: string, content: Record<string, unknown>, txnId: string) => {
      sent.push({ agentId, roomId, content, txnId });
      return `$sent${sent.length}`;
    },
  } as unknown as AgentMatrix;
  const runtime: AgentRuntime = {
    kind: 'fake',
    turn: async (input) => ({ reply: await turn(input), toolActivity: [], usage: { inputTokens: 3, outputTokens: 2 }, provider: 'fake', model: 'fake' }),
    hibernate: async () => {}, close: async () => {},
  };
  const store = new ShardStore(':memory:');
  const h = new AgentHost({ org, store, matrix, runtime, log: logger, maxHops: 6, maxInputChars: 100, maxReplyChars: 50, onFinished: (id) => finished.push(id) });
  return { h, sent, finished, store };
}

let n = 0;
function message(agentId: string, sender: string, content: Record<string, unknown>, extra: Partial<Delivery> = {}): Delivery {
  const eventId = `$ev${++n}`;
  return {
    id: `message:${agentId}:${eventId}`, kind: 'message', agentId, roomId: '!room:x', room: { isDirect: false, members: [] },
    event: { event_id: eventId, room_id: '!room:x', sender, type: 'm.room.message', content: { msgtype: 'm.text', ...content } },
    ...extra,
  };
}

describe('agent host', () => {
  it('replies to the message, mentioning its sender, with a transaction id stable for (event, agent)', async () => {
    const { h, sent, finished } = host(async () => 'Hello!');
    const d = message(vp.matrixId, ceo.matrixId, { body: 'hi' });
    h.accept([d]);
    await h.idle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.content).toMatchObject({
      msgtype: 'm.text', body: 'Hello!', 'm.mentions': { user_ids: [ceo.matrixId] },
      'm.relates_to': { 'm.in_reply_to': { event_id: d.event.event_id } }, [HOP_KEY]: 1,
    });
    expect(sent[0]!.txnId).toBe(replyTxnId(d.event.event_id, vp.matrixId));
    expect(finished).toEqual([d.id]);
  });

  it('answers with a short apology notice when the model is down, instead of going silent', async () => {
    const { h, sent, store } = host(async () => { throw new ProviderError('down', { kind: 'unavailable', provider: 'fake' }); });
    h.accept([message(vp.matrixId, ceo.matrixId, { body: 'status?' })]);
    await h.idle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.content.msgtype).toBe('m.notice');
    expect(String(sent[0]!.content.body)).toMatch(/^Sorry/);
    expect(store.counts().done).toBe(1);
  });

  it('does not answer past the hop limit', async () => {
    const { h, sent, store } = host(async () => 'again');
    h.accept([message(vp.matrixId, director.matrixId, { body: 'ping', [HOP_KEY]: 6,
      [CONVERSATION_KEY]: { root_event: '$root', root_room: '!root:x', root_sender: ceo.matrixId } })]);
    await h.idle();
    expect(sent).toHaveLength(0);
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

  it('handles one agent\'s messages in order, caps input and reply sizes, and ignores a redelivery', async () => {
    const seen: string[] = [];
    const { h, sent } = host(async (input) => { seen.push(input.text); await new Promise((r) => setTimeout(r, 5)); return 'x'.repeat(80); });
    const first = message(vp.matrixId, ceo.matrixId, { body: 'a'.repeat(150) });
    const second = message(vp.matrixId, ceo.matrixId, { body: 'second' });
    h.accept([first, second]);
    h.accept([first]);
    await h.idle();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toContain('[message truncated: 150 characters in all]');
    expect(seen[1]).toBe('second');
    expect(sent).toHaveLength(2);
    expect(String(sent[0]!.content.body)).toMatch(/^x{50}… \[reply truncated\]$/);
  });
});
