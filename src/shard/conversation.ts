import { z } from 'zod';
import type { ConversationRef } from '../agents/runtime.ts';
import type { RoomEvent } from '../matrix/event.ts';

/** Content keys every agent message carries so loops can be cut and answers find their way back. */
export const HOP_KEY = 'org.openclawfleet.hop';
export const CONVERSATION_KEY = 'org.openclawfleet.conversation';

/** Loops are cut long before this (agents.maxHops ≤ 100); a larger hop is not something our agents wrote. */
const MAX_HOP = 1000;

// Matrix identifiers are at most 255 bytes. Room ids of room version 12 have no server name, older ones do.
const roomId = z.string().max(255).regex(/^![^\s:]+(:\S+)?$/);
const eventId = z.string().max(255).regex(/^\$\S+$/);
const userId = z.string().max(255).regex(/^@[^\s:]+:\S+$/);
const hopSchema = z.number().int().min(0).max(MAX_HOP);
const storedConversation = z.object({ root_event: eventId, root_room: roomId, root_sender: userId });
type StoredConversation = z.infer<typeof storedConversation>;

/** Who may speak for a conversation: the fleet's own agents (OrgDirectory fits). */
export interface FleetAgents { isAgent(userId: string): boolean }

/**
 * The conversation an event belongs to. A message from anyone but the fleet's own agents starts one (hop 0, rooted at
 * itself), whatever keys it carries: otherwise a human could silence agents with a high hop, or point an agent's
 * report-back at any room and person. An agent's keys are ours (conversationFields) and are still checked for shape;
 * keys that are missing or malformed from an agent root the conversation at the message, keeping at least one hop.
 *
 * Without `fleet` every sender's well-formed keys are believed: only for callers not yet passing the directory.
 */
export function conversationOf(event: RoomEvent, fleet?: FleetAgents): ConversationRef {
  const fresh = { rootEventId: event.event_id, rootRoomId: event.room_id, rootSender: event.sender, hop: 0 };
  if (fleet && !fleet.isAgent(event.sender)) return fresh;
  const content: Record<string, unknown> = event.content ?? {};
  const parsedHop = hopSchema.safeParse(content[HOP_KEY]);
  // An agent's message is itself one hop: missing keys must not reset a loop's count.
  const hop = Math.max(fleet ? 1 : 0, parsedHop.success ? parsedHop.data : 0);
  const root = storedConversation.safeParse(content[CONVERSATION_KEY]);
  if (!parsedHop.success || !root.success || hop === 0) return { ...fresh, hop };
  return { rootEventId: root.data.root_event, rootRoomId: root.data.root_room, rootSender: root.data.root_sender, hop };
}

/** The content fields of a message sent one hop further along a conversation. */
export function conversationFields(conv: ConversationRef): Record<string, unknown> {
  return {
    [HOP_KEY]: conv.hop + 1,
    [CONVERSATION_KEY]: { root_event: conv.rootEventId, root_room: conv.rootRoomId, root_sender: conv.rootSender } satisfies StoredConversation,
  };
}
