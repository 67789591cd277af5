import type { ConversationRef } from '../agents/runtime.ts';
import type { RoomEvent } from '../router/mentions.ts';

/** Content keys every agent message carries so loops can be cut and answers find their way back. */
export const HOP_KEY = 'org.openclawfleet.hop';
export const CONVERSATION_KEY = 'org.openclawfleet.conversation';

interface StoredConversation { root_event: string; root_room: string; root_sender: string }

/**
 * The conversation an event belongs to. A human's message starts one (hop 0); agents' messages carry the root
 * along and count hops, so a chain of agents talking can be stopped and the last one can answer the human.
 */
export function conversationOf(event: RoomEvent): ConversationRef {
  const content = event.content as Record<string, unknown>;
  const hop = typeof content[HOP_KEY] === 'number' && Number.isFinite(content[HOP_KEY]) ? Math.max(0, content[HOP_KEY] as number) : 0;
  const c = content[CONVERSATION_KEY] as Partial<StoredConversation> | undefined;
  if (hop > 0 && c && typeof c.root_event === 'string' && typeof c.root_room === 'string' && typeof c.root_sender === 'string') {
    return { rootEventId: c.root_event, rootRoomId: c.root_room, rootSender: c.root_sender, hop };
  }
  return { rootEventId: event.event_id, rootRoomId: event.room_id, rootSender: event.sender, hop };
}

/** The content fields of a message sent one hop further along a conversation. */
export function conversationFields(conv: ConversationRef): Record<string, unknown> {
  return {
    [HOP_KEY]: conv.hop + 1,
    [CONVERSATION_KEY]: { root_event: conv.rootEventId, root_room: conv.rootRoomId, root_sender: conv.rootSender } satisfies StoredConversation,
  };
}
