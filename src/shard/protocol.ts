/**
 * The router→shard contract. The router decides who an event addresses; the shard that hosts the agent does the
 * agent's work and acts as its Matrix user. Deliveries are at-least-once: their ids are stable, so a shard that sees
 * one twice does the work once, and replies use transaction ids derived from (event, agent) so even a redone turn
 * cannot post twice.
 */
import crypto from 'node:crypto';
import type { MentionReason, RoomEvent } from '../router/mentions.ts';

export type DeliveryKind = 'message' | 'invite' | 'leave';

export interface Delivery {
  /** `${kind}:${agentId}:${eventId}`: the same event for the same agent is the same delivery. */
  id: string;
  kind: DeliveryKind;
  agentId: string;
  roomId: string;
  event: RoomEvent;
  /** Why the router thinks the event addresses the agent (messages only). */
  reason?: MentionReason;
  /** Sender of the message this one replies to, when it is a reply (lets an agent see an answer to its question). */
  replyToSender?: string;
  /** No member list: the shard never read it, and in #all-employees it was ~36 KB per delivery. */
  room: { isDirect: boolean };
}

export interface DeliverRequest { deliveries: Delivery[] }
export interface DeliverResponse { accepted: string[] }

export interface ShardAnnouncement {
  shardId: string;
  /** Where the router reaches the shard's delivery API. */
  url: string;
  startedAt: number;
}

export const DELIVERIES_PATH = '/v1/deliveries';
export const HEARTBEAT_PATH = '/_fleet/v1/shards/heartbeat';
/** Changes the number of shards (`./fleet scale N`): {count}. */
export const SCALE_PATH = '/_fleet/v1/scale';
/** Shards report finished deliveries here: {shardId, ids}. */
export const COMPLETIONS_PATH = '/_fleet/v1/shards/completions';

export function deliveryId(kind: DeliveryKind, agentId: string, eventId: string): string {
  return `${kind}:${agentId}:${eventId}`;
}

/** Constant-time check of a `Bearer <secret>` header; never echo or log what was sent. */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  return header?.startsWith('Bearer ') === true && tokensEqual(header.slice('Bearer '.length), secret);
}

export function tokensEqual(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
