/**
 * Decides which virtual employees a room event addresses. Runs on every event the homeserver pushes, so it reads the
 * content defensively (clients send anything), parses no HTML and compiles no regex per event.
 *
 * Precedence of reasons (an agent is reported once, with the first that applies; the cap keeps the first ones):
 *   dm > m.mentions > pill > reply > plain-text
 *
 * Intentional mentions (spec v1.7 "User and room mentions", MSC3952): when the event carries `m.mentions`, it is
 * authoritative, so neither pills nor names in the text count. Only agents joined or invited in the room are
 * addressed: the homeserver notifies only members too, and an agent outside the room could not even read it.
 */
import { stripReplyFallback, stripReplyFallbackHtml } from '../matrix/reply-fallback.ts';
import { DEFAULT_ROUTING_LIMITS, type RoutingLimits } from './mentions/limits.ts';
import { pillTargets } from './mentions/pills.ts';
import { LegacyMentionText } from './mentions/plain-text.ts';

export { stripReplyFallback, stripReplyFallbackHtml, pillTargets };
export { DEFAULT_MAX_AGENTS_PER_EVENT, type RoutingLimits } from './mentions/limits.ts';

import type { RoomEvent } from '../matrix/event.ts';
export type { RoomEvent };

export interface MentionContext {
  /** true for virtual employees the fleet speaks for (never humans). */
  isAgent(userId: string): boolean;
  /** "First Last" for plain-text matching; undefined if unknown. */
  displayNameOf(userId: string): string | undefined;
  /** user ids currently joined or invited in the room. */
  roomMembers: readonly string[];
  /** the caller takes the room for a direct chat; it counts as one only while it has two members (isDirectChat). */
  isDirectRoom: boolean;
  /** sender of the event this one replies to (m.in_reply_to), when the caller could resolve it. */
  repliedToSender?: string;
  /** fan-out bounds (config `routing`); the defaults when absent. */
  limits?: Partial<RoutingLimits>;
}

import type { MentionReason } from '../protocol/wire.ts';
export type { MentionReason };

export interface Addressed {
  agentId: string;
  reason: MentionReason;
}

/** Whom an event addresses, and the agents it named that are not woken. */
export interface Addressing {
  addressed: Addressed[];
  /** Agents named by m.mentions, a pill or a reply who are neither joined nor invited in the room. */
  notInRoom: string[];
  /** Agents past limits.maxAgentsPerEvent (name matching stops at the first one). */
  overCap: string[];
}

/**
 * A direct chat is a conversation of two. `is_direct` only says what the inviter meant when the room was made: a DM
 * that grew into a group is a group, where agents answer when addressed, not all of them to every line.
 */
export function isDirectChat(memberCount: number): boolean {
  return memberCount === 2;
}

const HTML_FORMAT = 'org.matrix.custom.html';

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function relatesTo(event: RoomEvent): Record<string, unknown> | undefined {
  return asRecord(asRecord(event?.content)?.['m.relates_to']);
}

/** `m.replace` relation: an edit of an earlier message. */
export function isEdit(event: RoomEvent): boolean {
  return relatesTo(event)?.['rel_type'] === 'm.replace';
}

/**
 * The event this one genuinely replies to. Thread messages from clients without a real reply carry
 * `m.in_reply_to` pointing at the latest thread event only as a fallback for thread-unaware clients
 * (`is_falling_back: true`); that is not the user replying to anyone.
 */
export function repliedEventId(event: RoomEvent): string | undefined {
  const relation = relatesTo(event);
  if (relation === undefined) return undefined;
  if (relation['rel_type'] === 'm.thread' && relation['is_falling_back'] === true) return undefined;
  const eventId = asRecord(relation['m.in_reply_to'])?.['event_id'];
  return typeof eventId === 'string' && eventId.length > 0 ? eventId : undefined;
}

const SCANS_BEFORE_SET = 4;

/** Collects agents in discovery order; the first reason recorded for an agent wins, the first `cap` are kept. */
class AddressedList {
  readonly items: Addressed[] = [];
  readonly notInRoom: string[] = [];
  readonly overCap: string[] = [];
  private readonly seen = new Set<string>();
  private members: ReadonlySet<string> | undefined; // built only after a few lookups: most events name one or two
  private memberLookups = 0;
  private readonly event: RoomEvent;
  private readonly ctx: MentionContext;
  private readonly cap: number;

  constructor(event: RoomEvent, ctx: MentionContext, cap: number) {
    this.event = event;
    this.ctx = ctx;
    this.cap = cap;
  }

  add(userId: unknown, reason: MentionReason): void {
    if (typeof userId !== 'string' || userId === this.event.sender || this.seen.has(userId)) return;
    if (!this.ctx.isAgent(userId)) return;
    this.seen.add(userId);
    if (!this.isMember(userId)) this.notInRoom.push(userId);
    else if (this.items.length >= this.cap) this.overCap.push(userId);
    else this.items.push({ agentId: userId, reason });
  }

  /**
   * A scan of the member list costs less than building a Set of it until several ids are asked about: in a room
   * of 10,000 (#all-employees) one mention would otherwise pay for a 10,000-entry Set on every event.
   */
  private isMember(userId: string): boolean {
    if (this.members === undefined && ++this.memberLookups <= SCANS_BEFORE_SET) return this.ctx.roomMembers.includes(userId);
    this.members ??= new Set(this.ctx.roomMembers);
    return this.members.has(userId);
  }

  result(): Addressing {
    return { addressed: this.items, notInRoom: this.notInRoom, overCap: this.overCap };
  }
}

export function addressedAgents(event: RoomEvent, ctx: MentionContext): Addressed[] {
  return addressing(event, ctx).addressed;
}

export function addressing(event: RoomEvent, ctx: MentionContext): Addressing {
  const cap = ctx.limits?.maxAgentsPerEvent ?? DEFAULT_ROUTING_LIMITS.maxAgentsPerEvent;
  const nameMatchMaxMembers = ctx.limits?.nameMatchMaxMembers ?? DEFAULT_ROUTING_LIMITS.nameMatchMaxMembers;
  const found = new AddressedList(event, ctx, cap);
  if (!isAnswerableMessage(event)) return found.result();
  const content = event.content;
  const mentions = content['m.mentions'];

  if (isEdit(event)) {
    // Per spec the edit's top-level m.mentions lists only users newly mentioned by the edit, while m.new_content
    // repeats everyone; reading m.new_content (or re-scanning the text) would wake agents twice for one message.
    addUserIds(found, mentions);
    return found.result();
  }

  if (ctx.isDirectRoom && isDirectChat(ctx.roomMembers.length)) {
    for (const member of ctx.roomMembers) found.add(member, 'dm');
  }

  // m.mentions.room (@room) is deliberately ignored: in a room holding hundreds of agents one "@room" would make every
  // one of them answer at once (a reply storm costing an LLM call each). Agents answer only when named individually.
  addUserIds(found, mentions);

  // Clients that send m.mentions (even an empty one) have told us exactly whom they mean; guessing from pills or the
  // text on top would re-introduce the accidental pings MSC3952 removed. Only legacy clients get them.
  const legacyClient = mentions === undefined;
  const formattedBody = content['formatted_body'];
  if (legacyClient && content['format'] === HTML_FORMAT && typeof formattedBody === 'string') {
    for (const target of pillTargets(stripReplyFallbackHtml(formattedBody))) found.add(target, 'pill');
  }

  // A reply is a relation, not a guess from the text: it addresses the replied-to agent whatever m.mentions says.
  const inReplyTo = repliedEventId(event);
  if (inReplyTo !== undefined && ctx.repliedToSender !== undefined) found.add(ctx.repliedToSender, 'reply');

  if (legacyClient && ctx.roomMembers.length <= nameMatchMaxMembers) {
    const body = content['body'] as string; // checked by isAnswerableMessage
    const text = hasReplyRelation(event) ? stripReplyFallback(body) : body;
    addPlainTextMentions(found, text, event.sender, ctx);
  }
  return found.result();
}

/** A message a person could expect an answer to: not state, not redacted, not a bot notice, has a text body. */
function isAnswerableMessage(event: RoomEvent): boolean {
  if (asRecord(event) === undefined || event.type !== 'm.room.message' || event.state_key !== undefined) return false;
  if (typeof event.sender !== 'string') return false;
  const content = asRecord(event.content);
  if (content === undefined || typeof content['body'] !== 'string') return false;
  // m.notice is the convention for automated messages; answering them is how bots end up talking to each other forever.
  if (content['msgtype'] === 'm.notice') return false;
  return asRecord(event.unsigned)?.['redacted_because'] === undefined;
}

/** Any m.in_reply_to, including thread fallbacks, may carry a quoted fallback in the body. */
function hasReplyRelation(event: RoomEvent): boolean {
  return asRecord(relatesTo(event)?.['m.in_reply_to']) !== undefined;
}

function addUserIds(found: AddressedList, mentions: unknown): void {
  const userIds = asRecord(mentions)?.['user_ids'];
  if (!Array.isArray(userIds)) return;
  for (const userId of userIds) found.add(userId, 'm.mentions');
}

function addPlainTextMentions(found: AddressedList, text: string, sender: string, ctx: MentionContext): void {
  if (text.length === 0) return;
  let legacyText: LegacyMentionText | undefined; // prepared only once a candidate turns up
  for (const member of ctx.roomMembers) {
    if (typeof member !== 'string' || member === sender || !ctx.isAgent(member)) continue;
    legacyText ??= new LegacyMentionText(text);
    if (legacyText.mentions(member, ctx.displayNameOf(member))) found.add(member, 'plain-text');
    if (found.overCap.length > 0) return; // the rest could not be woken anyway
  }
}
