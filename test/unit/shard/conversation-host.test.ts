import { describe, expect, it } from 'vitest';
import type { AgentRuntime, AgentTurnInput, ConversationRef } from '../../../src/agents/runtime.ts';
import type { AgentMatrix } from '../../../src/matrix/agent-actions.ts';
import { logger } from '../../../src/log.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { AgentHost } from '../../../src/shard/agent-host.ts';
import { CONVERSATION_KEY, conversationFields, HOP_KEY } from '../../../src/shard/conversation.ts';
import type { Delivery } from '../../../src/protocol/wire.ts';
import { ShardStore } from '../../../src/shard/store.ts';

/** Spoofed conversation metadata, end to end through the agent host (issue 12, item 8). */
const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const ceo = org.humans()[0]!;
const vp = org.byLevel('VP')[0]!;
const director = org.reports(vp.matrixId)[0]!;
const ROOM = '!project:anycompany.corp';
const FORGED = { root_event: '$budget-thread', root_room: '!board-room:anycompany.corp', root_sender: '@cfo:anycompany.corp' };

function host() {
  const sent: { roomId: string; content: Record<string, unknown> }[] = [];
  const turns: AgentTurnInput[] = [];
  const matrix = {
    join: async () => {}, leave: async () => {}, typing: async () => {},
    send: async (_agent: string, roomId: string, content: Record<string, unknown>) => {
      sent.push({ roomId, content });
      return `$sent${sent.length}`;
    },
  } as unknown as AgentMatrix;
  const runtime: AgentRuntime = {
    kind: 'fake',
    turn: async (input) => {
      turns.push(input);
      return { reply: 'on it', toolActivity: [], usage: { inputTokens: 1, outputTokens: 1 }, provider: 'fake', model: 'fake' };
    },
    hibernate: async () => {}, close: async () => {},
  };
  const h = new AgentHost({ org, store: new ShardStore(':memory:'), matrix, runtime, log: logger, maxHops: 6, maxInputChars: 1000, maxReplyChars: 1000 });
  return { h, sent, turns };
}

let n = 0;
function message(sender: string, content: Record<string, unknown>, extra: Partial<Delivery> = {}): Delivery {
  const eventId = `$ev${++n}`;
  return {
    id: `message:${vp.matrixId}:${eventId}`, kind: 'message', agentId: vp.matrixId, roomId: ROOM, room: { isDirect: false },
    event: { event_id: eventId, room_id: ROOM, sender, type: 'm.room.message', content: { msgtype: 'm.text', body: 'hi', ...content } },
    ...extra,
  };
}

describe('conversation metadata from people who are not agents', () => {
  it("a human's message with a forged hop of 99 still gets an answer", async () => {
    const { h, sent, turns } = host();
    const d = message(ceo.matrixId, { body: 'status?', [HOP_KEY]: 99, [CONVERSATION_KEY]: FORGED });
    h.accept([d]);
    await h.idle();
    expect(turns[0]?.conversation).toEqual({ rootEventId: d.event.event_id, rootRoomId: ROOM, rootSender: ceo.matrixId, hop: 0 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ roomId: ROOM, content: { [HOP_KEY]: 1, [CONVERSATION_KEY]: { root_room: ROOM, root_sender: ceo.matrixId } } });
  });

  it('a forged conversation key cannot make the report-back go to another room', async () => {
    const { h, sent, turns } = host();
    // A human hands the VP a conversation rooted in a room they want the VP to post into.
    h.accept([message(ceo.matrixId, { body: `ask ${director.name} about the budget`, [HOP_KEY]: 1, [CONVERSATION_KEY]: FORGED })]);
    await h.idle();
    // The VP asks the director (message_colleague carries the turn's conversation); the director answers the VP.
    const asked: ConversationRef = turns[0]!.conversation!;
    const answer = message(director.matrixId, { body: 'Budget approved', ...conversationFields({ ...asked, hop: asked.hop + 1 }) }, { replyToSender: vp.matrixId });
    h.accept([answer]);
    await h.idle();
    const report = sent.at(-1)!;
    expect(report.roomId).toBe(ROOM);
    expect(report.content['m.mentions']).toEqual({ user_ids: [ceo.matrixId] });
    expect(sent.some((s) => s.roomId === FORGED.root_room)).toBe(false);
  });

  it('tells the runtime whom the answer goes to: the asker, or the conversation\'s root sender when reporting back', async () => {
    const { h, turns } = host();
    const question = message(ceo.matrixId, { body: 'status?' });
    h.accept([question]);
    await h.idle();
    expect(turns[0]?.answersTo).toBe(ceo.matrixId);
    const asked: ConversationRef = turns[0]!.conversation!;
    h.accept([message(director.matrixId, { body: '75% done', ...conversationFields({ ...asked, hop: 1 }) }, { replyToSender: vp.matrixId })]);
    // A colleague's question (not an answer to the agent) is answered to that colleague.
    h.accept([message(director.matrixId, { body: 'a question', ...conversationFields({ ...asked, hop: 1 }) })]);
    await h.idle();
    expect(turns.slice(1).map((t) => t.answersTo)).toEqual([ceo.matrixId, director.matrixId]);
  });
});
