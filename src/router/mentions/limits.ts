/**
 * Bounds on how many agents one event can wake. Every addressed agent costs a model call, and one message in
 * #all-employees can name a thousand of them (`routing` in config/fleet.yaml).
 */
import { z } from 'zod';

/**
 * A meeting's worth of people: enough for "Aaron, Beth, Carlos, Dana: please each send me your numbers", well below
 * a room's reply budget (limits.roomRepliesPerMinute), and far below a broadcast, which @room deliberately is not.
 */
export const DEFAULT_MAX_AGENTS_PER_EVENT = 8;

/**
 * Matching display names in the text (legacy clients without m.mentions) guesses from what people write about each
 * other; the larger the room, the more names appear by accident. 100 keeps every team and leadership room of the
 * generated org (the largest team has 73 people) and leaves out #all-employees (1001).
 */
export const DEFAULT_NAME_MATCH_MAX_MEMBERS = 100;

export const routingSchema = z.object({
  /** Most agents one event addresses; the rest are not woken (logged at info). */
  maxAgentsPerEvent: z.number().int().min(1).max(1000).default(DEFAULT_MAX_AGENTS_PER_EVENT),
  /** Plain-text name matching for legacy clients only in rooms with at most this many members (0: never). */
  nameMatchMaxMembers: z.number().int().min(0).default(DEFAULT_NAME_MATCH_MAX_MEMBERS),
});

export type RoutingLimits = z.infer<typeof routingSchema>;

export const DEFAULT_ROUTING_LIMITS: RoutingLimits = {
  maxAgentsPerEvent: DEFAULT_MAX_AGENTS_PER_EVENT,
  nameMatchMaxMembers: DEFAULT_NAME_MATCH_MAX_MEMBERS,
};
