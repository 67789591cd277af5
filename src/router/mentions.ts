/**
 * Decides which virtual employees a room event addresses. Runs on every event the homeserver pushes, so it reads the
 * content defensively (clients send anything), parses no HTML and compiles no regex per event.
 *
 * Precedence of reasons (an agent is reported once, with the first that applies):
 *   dm > m.mentions > pill > reply > plain-text
 */
import { stripReplyFallback, stripReplyFallbackHtml } from './mentions/fallback.ts';
import { pillTargets } from './mentions/pills.ts';
import { LegacyMentionText } from './mentions/plain-text.ts';

export { stripReplyFallback, stripReplyFallbackHtml, pillTargets };

export interface RoomEvent {
  event_id: string;
  type: string;
  sender: string;
  room_id: string;
  state_key?: string;
  origin_server_ts?: number;
  content: Record<string, unknown>;
  unsigned?: Record<string, unknown>;
}

export interface MentionContext {
  /** true for virtual employees the fleet speaks for (never humans). */
  isAgent(userId: string): boolean;
  /** "First Last" for plain-text matching; undefined if unknown. */
  displayNameOf(userId: string): string | undefined;
  /** user ids currently joined or invited in the room. */
  roomMembers: readonly string[];
  /** the room is a direct chat (flagged is_direct, or exactly two members). */
  isDirectRoom: boolean;
  /** sender of the event this one replies to (m.in_reply_to), when the caller could resolve it. */
  repliedToSender?: string;
}

export type MentionReason = 'dm' | 'm.mentions' | 'pill' | 'reply' | 'plain-text';

export interface Addressed {
  agentId: string;
  reason: MentionReason;
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

/** Collects agents in discovery order; the first reason recorded for an agent wins. */
class AddressedList {
  readonly items: Addressed[] = [];
  private readonly seen = new Set<string>();
  private readonly sender: string;
  private readonly isAgent: (userId: string) => boolean;

  constructor(sender: string, isAgent: (userId: string) => boolean) {
    this.sender = sender;
    this.isAgent = isAgent;
  }

  add(userId: unknown, reason: MentionReason): void {
    if (typeof userId !== 'string' || userId === this.sender || this.seen.has(userId)) return;
    if (!this.isAgent(userId)) return;
    this.seen.add(userId);
    this.items.push({ agentId: userId, reason });
  }
}

export function addressedAgents(event: RoomEvent, ctx: MentionContext): Addressed[] {
  if (!isAnswerableMessage(event)) return [];
  const content = event.content;
  const found = new AddressedList(event.sender, (userId) => ctx.isAgent(userId));
  const mentions = content['m.mentions'];

  if (isEdit(event)) {
    // Per spec the edit's top-level m.mentions lists only users newly mentioned by the edit, while m.new_content
    // repeats everyone; reading m.new_content (or re-scanning the text) would wake agents twice for one message.
    addUserIds(found, mentions);
    return found.items;
  }

  if (ctx.isDirectRoom) {
    for (const member of ctx.roomMembers) found.add(member, 'dm');
  }

  // m.mentions.room (@room) is deliberately ignored: in a room holding hundreds of agents one "@room" would make every
  // one of them answer at once (a reply storm costing an LLM call each). Agents answer only when named individually.
  addUserIds(found, mentions);

  const formattedBody = content['formatted_body'];
  if (content['format'] === HTML_FORMAT && typeof formattedBody === 'string') {
    for (const target of pillTargets(stripReplyFallbackHtml(formattedBody))) found.add(target, 'pill');
  }

  const inReplyTo = repliedEventId(event);
  if (inReplyTo !== undefined && ctx.repliedToSender !== undefined) found.add(ctx.repliedToSender, 'reply');

  // Clients that send m.mentions (even an empty one) have told us exactly whom they mean; guessing from the text on
  // top would re-introduce the accidental pings MSC3952 removed. Only legacy clients get name matching.
  if (mentions === undefined) {
    const body = content['body'] as string; // checked by isAnswerableMessage
    const text = hasReplyRelation(event) ? stripReplyFallback(body) : body;
    addPlainTextMentions(found, text, event.sender, ctx);
  }
  return found.items;
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
  }
}
