/**
 * The router→shard contract. The router decides who an event addresses; the shard that hosts the agent does the
 * agent's work and acts as its Matrix user. Deliveries are at-least-once: their ids are stable, so a shard that sees
 * one twice does the work once, and replies use transaction ids derived from (event, agent) so even a redone turn
 * cannot post twice.
 */
import crypto from 'node:crypto';
import type { RoomEvent } from '../matrix/event.ts';
import type { TurnUsage } from '../budget/ledger.ts';

/** Why the router decided an event addresses an agent. */
export type MentionReason = 'dm' | 'm.mentions' | 'pill' | 'reply' | 'plain-text';

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
  /** A reply already paid for by a shard that gave the delivery back (it stopped before posting): post it as is. */
  reply?: string;
  /** The agent belongs in this lazily joined room but is not in it yet: join before answering (docs/provisioning.md). */
  joinFirst?: boolean;
  /** No member list: the shard never read it, and in #all-employees it was ~36 KB per delivery. */
  room: { isDirect: boolean };
}

export interface DeliverRequest { deliveries: Delivery[] }
export interface DeliverResponse { accepted: string[] }

export interface ShardAnnouncement {
  shardId: string;
  /** Where the router reaches the shard's delivery API. */
  url: string;
  /** When this process started: tells one process of a shard id from the next (a newer one supersedes). */
  startedAt: number;
  /** Deliveries this process holds a claim on: the heartbeat renews those claims. */
  claims?: string[];
}

/** The router's answer to a heartbeat. */
export interface HeartbeatAnswer {
  ok: true;
  /** Live shard ids: the shard computes placement from them and drops queued work of agents it lost. */
  shards: string[];
  /** How long a claim stays valid after the heartbeat that renewed it was sent. */
  claimTtlMs: number;
}

/**
 * Before an agent's turn (and before each Matrix action of a delivery) the shard claims the delivery from the
 * router: one claim per agent at a time across the fleet, granted only to the shard the router handed it to.
 */
export interface ClaimRequest { shardId: string; startedAt: number; deliveryId: string }
export type ClaimAnswer =
  /** Go ahead; the claim is valid for ttlMs after the request was sent, and is renewed by heartbeats. overBudget:
   *  the agent is over a monthly budget (budget/budgets.ts), so no model call; a reply already paid for is posted. */
  | { granted: true; ttlMs: number; overBudget?: boolean }
  /** 'done': already finished (drop it); 'moved': handed to another shard (drop it); 'busy': the agent is working
   *  elsewhere (try again later); 'superseded': a newer process of this shard id exists (stop). */
  | { granted: false; reason: 'done' | 'moved' | 'busy' | 'superseded' | 'unknown-shard' };

/** Finished deliveries ({shardId, startedAt, ids}); releases their claims. Released ones are re-handed at once. */
export interface CompletionReport {
  shardId: string;
  startedAt: number;
  ids: string[];
  released?: string[];
  /** Replies decided for released deliveries, by id: the next shard posts them instead of asking the model again. */
  replies?: Record<string, string>;
  /** What the turns of these deliveries cost, for the router's budget ledger (counted once per shard and delivery). */
  usage?: TurnUsage[];
}

export const DELIVERIES_PATH = '/v1/deliveries';
export const HEARTBEAT_PATH = '/_fleet/v1/shards/heartbeat';
/** Changes the number of shards (`./fleet scale N`): {count}. */
export const SCALE_PATH = '/_fleet/v1/scale';
/** Shards report finished deliveries here (CompletionReport). */
export const COMPLETIONS_PATH = '/_fleet/v1/shards/completions';
export const CLAIMS_PATH = '/_fleet/v1/shards/claims';
/** The router's view of the fleet for operators (fleet secret): {shards: [{shardId, url, unfinished}], inbox}. */
export const ROUTER_STATUS_PATH = '/_fleet/v1/status';
/** The shard's authenticated status and recent turns (dashboard, admin usage). */
export const STATUS_PATH = '/v1/status';
export const ACTIVITY_PATH = '/v1/activity';

/**
 * Each shard has its own token, HMAC(fleet secret, shard id): it proves which shard an announcement, claim or
 * completion comes from, so one shard cannot speak for another. The router, holding the fleet secret, derives any
 * shard's token; a shard is given only its own (FLEET_SHARD_TOKEN).
 */
export function shardToken(fleetSecret: string, shardId: string): string {
  return crypto.createHmac('sha256', fleetSecret).update(`shard:${shardId}`).digest('base64url');
}

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

/** GET STATUS_PATH (shard token): what one shard is doing, for the dashboard and #fleet-admin. */
export interface ShardStatus {
  shardId: string;
  startedAt: number;
  deliveries: { pending: number; done: number; failed: number; skipped: number };
  /** Agents with work queued, in memory, or any recorded turn on this shard. */
  agents: Array<{ agentId: string; queued: number; warm: boolean; lastTurnAt?: number; turns: number;
    inputTokens: number; outputTokens: number; costUsd: number }>;
  limits?: unknown;
  providers?: unknown;
}
