import { describe, expect, it } from 'vitest';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import type { RoomEvent } from '../../../src/router/mentions.ts';
import { CONVERSATION_KEY, conversationFields, conversationOf, HOP_KEY } from '../../../src/shard/conversation.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const ceo = org.humans()[0]!;
const vp = org.byLevel('VP')[0]!;
const ROOT = { root_event: '$question', root_room: '!dm-with-ceo:anycompany.corp', root_sender: ceo.matrixId };

function event(sender: string, content: Record<string, unknown>): RoomEvent {
  return { event_id: '$this', room_id: '!here:anycompany.corp', sender, type: 'm.room.message', content: { msgtype: 'm.text', body: 'hi', ...content } };
}
const fresh = (sender: string, hop = 0) => ({ rootEventId: '$this', rootRoomId: '!here:anycompany.corp', rootSender: sender, hop });

describe('conversationOf', () => {
  it("ignores a human's hop and conversation keys: the message starts a conversation at hop 0", () => {
    expect(conversationOf(event(ceo.matrixId, { [HOP_KEY]: 99, [CONVERSATION_KEY]: ROOT }), org)).toEqual(fresh(ceo.matrixId));
    // Someone outside the directory (another homeserver, a guest) is no more trusted than a human of the org.
    expect(conversationOf(event('@mallory:evil.example', { [HOP_KEY]: 3, [CONVERSATION_KEY]: ROOT }), org)).toEqual(fresh('@mallory:evil.example'));
  });

  it("believes a fleet agent's well-formed keys", () => {
    expect(conversationOf(event(vp.matrixId, { [HOP_KEY]: 2, [CONVERSATION_KEY]: ROOT }), org))
      .toEqual({ rootEventId: '$question', rootRoomId: ROOT.root_room, rootSender: ceo.matrixId, hop: 2 });
    // Room version 12 room ids have no server name.
    const v12 = { ...ROOT, root_room: '!Ab3_-xYz' };
    expect(conversationOf(event(vp.matrixId, { [HOP_KEY]: 1, [CONVERSATION_KEY]: v12 }), org).rootRoomId).toBe('!Ab3_-xYz');
  });

  it.each([
    ['a negative hop', { [HOP_KEY]: -1, [CONVERSATION_KEY]: ROOT }, 1],
    ['a fractional hop', { [HOP_KEY]: 2.5, [CONVERSATION_KEY]: ROOT }, 1],
    ['a hop as text', { [HOP_KEY]: '2', [CONVERSATION_KEY]: ROOT }, 1],
    ['a huge hop', { [HOP_KEY]: 1e9, [CONVERSATION_KEY]: ROOT }, 1],
    ['no keys at all', {}, 1],
    ['a room that is no room id', { [HOP_KEY]: 2, [CONVERSATION_KEY]: { ...ROOT, root_room: 'https://evil.example' } }, 2],
    ['an empty root event', { [HOP_KEY]: 2, [CONVERSATION_KEY]: { ...ROOT, root_event: '' } }, 2],
    ['a sender that is no user id', { [HOP_KEY]: 2, [CONVERSATION_KEY]: { ...ROOT, root_sender: 'everyone' } }, 2],
    ['a conversation that is a string', { [HOP_KEY]: 2, [CONVERSATION_KEY]: '!dm:x' }, 2],
    ['an over-long room id', { [HOP_KEY]: 2, [CONVERSATION_KEY]: { ...ROOT, root_room: `!${'a'.repeat(300)}:x` } }, 2],
  ])("roots an agent's message at itself when it carries %s (keeping at least one hop)", (_what, content, hop) => {
    expect(conversationOf(event(vp.matrixId, content), org)).toEqual(fresh(vp.matrixId, hop));
  });

  it('round-trips what conversationFields writes', () => {
    const conv = { rootEventId: '$q', rootRoomId: '!r:anycompany.corp', rootSender: ceo.matrixId, hop: 3 };
    expect(conversationOf(event(vp.matrixId, conversationFields(conv)), org)).toEqual({ ...conv, hop: 4 });
  });

  it('copes with an event without content', () => {
    const bare = { event_id: '$this', room_id: '!here:anycompany.corp', sender: vp.matrixId, type: 'm.room.message' } as unknown as RoomEvent;
    expect(conversationOf(bare, org)).toEqual(fresh(vp.matrixId, 1));
  });
});
