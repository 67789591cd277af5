import type { Db } from '../store/sqlite.ts';

function prepare(db: Db) {
  return {
    upsertRoom: db.prepare('INSERT INTO rooms (room_id) VALUES (?) ON CONFLICT DO NOTHING'),
    markKnown: db.prepare('UPDATE rooms SET members_known = 1 WHERE room_id = ?'),
    room: db.prepare('SELECT is_direct, members_known FROM rooms WHERE room_id = ?'),
    setMember: db.prepare(`INSERT INTO members (room_id, user_id, membership) VALUES (?, ?, ?)
      ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership`),
    present: db.prepare(`SELECT user_id FROM members WHERE room_id = ? AND membership IN ('join', 'invite') ORDER BY user_id`),
    presentCount: db.prepare(`SELECT COUNT(*) AS n FROM members WHERE room_id = ? AND membership IN ('join', 'invite')`),
    joined: db.prepare(`SELECT user_id FROM members WHERE room_id = ? AND membership = 'join' ORDER BY user_id`),
    rememberSender: db.prepare('INSERT OR IGNORE INTO event_senders (room_id, event_id, sender, at) VALUES (?, ?, ?, ?)'),
    senderOf: db.prepare('SELECT sender FROM event_senders WHERE room_id = ? AND event_id = ?'),
    pruneSenders: db.prepare('DELETE FROM event_senders WHERE at < ?'),
  };
}

export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

/**
 * What the router knows of each room's members, kept from the m.room.member events it is sent (the homeserver
 * pushes every event of a room once one of the fleet's agents is in it), and who sent recent messages.
 */
export class RoomDirectory {
  private readonly stmts: ReturnType<typeof prepare>;

  constructor(db: Db) {
    this.stmts = prepare(db);
  }

  setMembership(roomId: string, userId: string, membership: Membership): void {
    this.stmts.upsertRoom.run(roomId);
    this.stmts.setMember.run(roomId, userId, membership);
  }

  /** Replaces what is known with the homeserver's own member list (used the first time a room is seen mid-life). */
  loadMembers(roomId: string, joined: readonly string[]): void {
    this.stmts.upsertRoom.run(roomId);
    for (const userId of joined) this.stmts.setMember.run(roomId, userId, 'join');
    this.stmts.markKnown.run(roomId);
  }

  membersKnown(roomId: string): boolean {
    const row = this.stmts.room.get(roomId) as { members_known: number } | undefined;
    return row?.members_known === 1;
  }

  /** Joined and invited members: an invited agent is about to join and is addressed by a DM already. */
  present(roomId: string): string[] {
    return (this.stmts.present.all(roomId) as Array<{ user_id: string }>).map((r) => r.user_id);
  }

  presentCount(roomId: string): number {
    return (this.stmts.presentCount.get(roomId) as { n: number }).n;
  }

  joined(roomId: string): string[] {
    return (this.stmts.joined.all(roomId) as Array<{ user_id: string }>).map((r) => r.user_id);
  }

  /** Senders are known per room: a reply can only be to a message of its own room. */
  rememberSender(roomId: string, eventId: string, sender: string): void {
    this.stmts.rememberSender.run(roomId, eventId, sender, Date.now());
  }

  senderOf(roomId: string, eventId: string): string | undefined {
    return (this.stmts.senderOf.get(roomId, eventId) as { sender: string } | undefined)?.sender;
  }

  pruneSenders(olderThanMs: number): void {
    this.stmts.pruneSenders.run(Date.now() - olderThanMs);
  }
}
