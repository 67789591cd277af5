import type { OrgDirectory } from '../org/directory.ts';
import { deliveryId, type Delivery } from '../shard/protocol.ts';
import { addressedAgents, repliedEventId, type RoomEvent } from './mentions.ts';
import type { Membership, RoomDirectory } from './rooms.ts';

export interface RouteDeps {
  org: OrgDirectory;
  rooms: RoomDirectory;
  /** The homeserver's joined members of a room, read as one of our agents in it; undefined when none can read it. */
  fetchJoinedMembers(roomId: string, asAgent: string): Promise<string[] | undefined>;
  /** Sender of an event we have not seen (replies to old messages). */
  fetchEventSender(roomId: string, eventId: string, asAgent: string): Promise<string | undefined>;
}

const MEMBERSHIPS = new Set<Membership>(['join', 'invite', 'leave', 'ban', 'knock']);

/**
 * Turns one homeserver event into the work it creates for agents: invites to accept, rooms to leave, messages to
 * answer. Pure routing: it never acts on Matrix itself, so it is the same whichever shard ends up doing the work.
 */
export class EventRouter {
  private readonly deps: RouteDeps;
  private readonly domainSuffix: string;

  constructor(deps: RouteDeps) {
    this.deps = deps;
    this.domainSuffix = `:${deps.org.domain}`;
  }

  async route(event: RoomEvent): Promise<Delivery[]> {
    switch (event.type) {
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
      if (event.content.is_direct === true) rooms.markDirect(event.room_id);
      // Invites are accepted from people of our own server (humans and colleagues), never from an agent to itself.
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
    rooms.rememberSender(event.event_id, event.sender);
    let members = rooms.present(event.room_id);
    if (!rooms.membersKnown(event.room_id)) {
      const reader = org.isAgent(event.sender) ? event.sender : members.find((m) => org.isAgent(m));
      const fetched = reader ? await this.deps.fetchJoinedMembers(event.room_id, reader) : undefined;
      if (fetched) {
        rooms.loadMembers(event.room_id, fetched);
        members = rooms.present(event.room_id);
      }
    }
    const isDirectRoom = rooms.isDirect(event.room_id) || members.length === 2;
    let repliedToSender: string | undefined;
    const replyTo = repliedEventId(event);
    if (replyTo) {
      repliedToSender = rooms.senderOf(replyTo);
      const reader = members.find((m) => org.isAgent(m));
      if (!repliedToSender && reader) repliedToSender = await this.deps.fetchEventSender(event.room_id, replyTo, reader);
    }
    const addressed = addressedAgents(event, {
      isAgent: (id) => org.isAgent(id),
      displayNameOf: (id) => org.get(id)?.name,
      roomMembers: members,
      isDirectRoom,
      repliedToSender,
    });
    return addressed.map((a) => ({
      ...this.delivery('message', a.agentId, event, members, isDirectRoom),
      reason: a.reason,
      ...(repliedToSender ? { replyToSender: repliedToSender } : {}),
    }));
  }

  private delivery(kind: Delivery['kind'], agentId: string, event: RoomEvent, members?: string[], isDirect?: boolean): Delivery {
    const m = members ?? this.deps.rooms.present(event.room_id);
    return {
      id: deliveryId(kind, agentId, event.event_id),
      kind,
      agentId,
      roomId: event.room_id,
      event,
      room: { isDirect: isDirect ?? (this.deps.rooms.isDirect(event.room_id) || m.length === 2), members: m },
    };
  }
}
