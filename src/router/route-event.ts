import { componentLogger, type Logger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { deliveryId, type Delivery } from '../protocol/wire.ts';
import { addressing, isDirectChat, repliedEventId, type Addressing, type RoomEvent } from './mentions.ts';
import { DEFAULT_ROUTING_LIMITS, type RoutingLimits } from './mentions/limits.ts';
import type { Membership, RoomDirectory } from './rooms.ts';
import type { LazyRooms } from './lazy-rooms.ts';

export interface RouteDeps {
  org: OrgDirectory;
  rooms: RoomDirectory;
  /** The homeserver's joined members of a room, read as one of our agents in it; undefined when none can read it. */
  fetchJoinedMembers(roomId: string, asAgent: string): Promise<string[] | undefined>;
  /** Sender of an event we have not seen (replies to old messages). */
  fetchEventSender(roomId: string, eventId: string, asAgent: string): Promise<string | undefined>;
  /** Fan-out bounds (config `routing`); the defaults when absent. */
  limits?: RoutingLimits;
  /** Lazily joined org rooms (#all-employees): who belongs there counts as a member (src/router/lazy-rooms.ts). */
  lazyRooms?: Pick<LazyRooms, 'belonging' | 'learn'>;
  log?: Logger;
}

/** How many of the agents not woken a log line names; the count is always given. */
const LOGGED_IDS = 5;

const MEMBERSHIPS = new Set<Membership>(['join', 'invite', 'leave', 'ban', 'knock']);

/**
 * Turns one homeserver event into the work it creates for agents: invites to accept, rooms to leave, messages to
 * answer. It reads from Matrix (member lists, senders of replied-to events) but never acts on it: the shard that
 * hosts the agent does the work.
 */
export class EventRouter {
  private readonly deps: RouteDeps;
  private readonly domainSuffix: string;
  private readonly limits: RoutingLimits;
  private readonly log: Logger;

  constructor(deps: RouteDeps) {
    this.deps = deps;
    this.domainSuffix = `:${deps.org.domain}`;
    this.limits = deps.limits ?? DEFAULT_ROUTING_LIMITS;
    this.log = deps.log ?? componentLogger('routing');
  }

  async route(event: RoomEvent): Promise<Delivery[]> {
    switch (event.type) {
      case 'm.room.canonical_alias':
        this.deps.lazyRooms?.learn(event);
        return [];
      case 'm.room.create':
        this.deps.rooms.loadMembers(event.room_id, []);
        return [];
      case 'm.room.member':
        return this.onMember(event);
      case 'm.room.message':
        return this.onMessage(event);
      default:
        return [];
    }
  }

  private onMember(event: RoomEvent): Delivery[] {
    const { org, rooms } = this.deps;
    const target = event.state_key;
    const membership = event.content?.membership;
    if (typeof target !== 'string' || typeof membership !== 'string' || !MEMBERSHIPS.has(membership as Membership)) return [];
    rooms.setMembership(event.room_id, target, membership as Membership);

    if (membership === 'invite') {
      // is_direct is not recorded for routing: a room is a DM while it has two members (isDirectChat), whatever the
      // inviter said when it was made. Invites are accepted from people of our own server (humans and colleagues), never from an agent to itself.
      if (org.isAgent(target) && event.sender !== target && event.sender.endsWith(this.domainSuffix)) {
        return [this.delivery('invite', target, event)];
      }
      return [];
    }
    if (membership === 'leave' || membership === 'ban') {
      // An agent left alone in a room has nobody to talk to: it leaves too.
      const joined = rooms.joined(event.room_id);
      const agentsJoined = joined.filter((id) => org.isAgent(id));
      if (agentsJoined.length === 1 && joined.length === 1) return [this.delivery('leave', agentsJoined[0]!, event)];
    }
    return [];
  }

  private async onMessage(event: RoomEvent): Promise<Delivery[]> {
    const { org, rooms } = this.deps;
    rooms.rememberSender(event.room_id, event.event_id, event.sender);
    let members = rooms.present(event.room_id);
    if (!rooms.membersKnown(event.room_id)) {
      const reader = org.isAgent(event.sender) ? event.sender : members.find((m) => org.isAgent(m));
      const fetched = reader ? await this.deps.fetchJoinedMembers(event.room_id, reader) : undefined;
      if (fetched) {
        rooms.loadMembers(event.room_id, fetched);
        members = rooms.present(event.room_id);
      }
    }
    // Agents who belong in a lazily joined room are addressed as members; the shard joins them before answering.
    const belonging = await this.deps.lazyRooms?.belonging(event.room_id);
    const present = belonging ? new Set(members) : undefined;
    if (belonging) members = [...new Set([...members, ...belonging])];
    const isDirectRoom = isDirectChat(members.length);
    let repliedToSender: string | undefined;
    const replyTo = repliedEventId(event);
    if (replyTo) {
      repliedToSender = rooms.senderOf(event.room_id, replyTo);
      const reader = members.find((m) => org.isAgent(m));
      if (!repliedToSender && reader) repliedToSender = await this.deps.fetchEventSender(event.room_id, replyTo, reader);
    }
    const found = addressing(event, {
      isAgent: (id) => org.isAgent(id),
      displayNameOf: (id) => org.get(id)?.name,
      roomMembers: members,
      isDirectRoom,
      repliedToSender,
      limits: this.limits,
    });
    this.logNotWoken(event, found);
    return found.addressed.map((a) => ({
      ...this.delivery('message', a.agentId, event, isDirectRoom),
      reason: a.reason,
      ...(repliedToSender ? { replyToSender: repliedToSender } : {}),
      ...(present && !present.has(a.agentId) ? { joinFirst: true } : {}),
    }));
  }

  /** Info, not warn: naming someone outside the room, or a crowd, is ordinary use; the log says why nobody answered. */
  private logNotWoken(event: RoomEvent, found: Addressing): void {
    const { notInRoom, overCap } = found;
    if (notInRoom.length === 0 && overCap.length === 0) return;
    this.log.info({
      eventId: event.event_id, roomId: event.room_id, sender: event.sender, addressed: found.addressed.length,
      ...(notInRoom.length > 0 ? { notInRoom: notInRoom.length, notInRoomIds: notInRoom.slice(0, LOGGED_IDS) } : {}),
      ...(overCap.length > 0 ? { overCap: overCap.length, overCapIds: overCap.slice(0, LOGGED_IDS), cap: this.limits.maxAgentsPerEvent } : {}),
    }, 'named agents not woken: not in the room or past the per-event cap');
  }

  /** No member list: in a 1001-member room it was ~36 KB per delivery, and the shard never read it. */
  private delivery(kind: Delivery['kind'], agentId: string, event: RoomEvent, isDirect?: boolean): Delivery {
    return {
      id: deliveryId(kind, agentId, event.event_id),
      kind,
      agentId,
      roomId: event.room_id,
      event,
      room: { isDirect: isDirect ?? isDirectChat(this.deps.rooms.presentCount(event.room_id)) },
    };
  }
}
