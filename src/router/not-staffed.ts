import { createHash } from 'node:crypto';
import type { OrgDirectory } from '../org/directory.ts';
import { notStaffedNotice } from '../provision/live.ts';
import type { Delivery } from '../shard/protocol.ts';
import type { Db } from '../store/sqlite.ts';

export interface NotStaffedOptions {
  db: Db;
  org: OrgDirectory;
  /** Employees with a live agent; undefined: everyone. */
  live: ReadonlySet<string> | undefined;
  send(agentId: string, roomId: string, content: Record<string, unknown>, txnId: string): Promise<string>;
}

/**
 * Employees without a live agent still exist (users, rooms, directory). Messages to them are not handed to a shard;
 * the router answers, as them, with a polite notice, once per room and day so a busy room is not spammed.
 */
export class NotStaffed {
  private readonly o: NotStaffedOptions;
  private readonly sent;
  private readonly mark;

  constructor(opts: NotStaffedOptions) {
    this.o = opts;
    this.sent = opts.db.prepare('SELECT 1 FROM not_staffed_notices WHERE room_id = ? AND agent_id = ? AND day = ?');
    this.mark = opts.db.prepare('INSERT OR IGNORE INTO not_staffed_notices (room_id, agent_id, day) VALUES (?, ?, ?)');
  }

  /** The deliveries for live agents; for the others, sends the day's notice (invites and leaves always pass). */
  async filter(deliveries: Delivery[]): Promise<Delivery[]> {
    const live = this.o.live;
    if (!live) return deliveries;
    const keep: Delivery[] = [];
    for (const d of deliveries) {
      if (d.kind !== 'message' || live.has(d.agentId)) {
        keep.push(d);
        continue;
      }
      const day = new Date().toISOString().slice(0, 10);
      if (this.sent.get(d.roomId, d.agentId, day)) continue;
      const person = this.o.org.get(d.agentId)!;
      const txnId = `ocf.ns.${createHash('sha256').update(`${d.roomId}\0${d.agentId}\0${day}`).digest('base64url').slice(0, 32)}`;
      await this.o.send(d.agentId, d.roomId, {
        msgtype: 'm.notice',
        body: notStaffedNotice(person),
        'm.relates_to': { 'm.in_reply_to': { event_id: d.event.event_id } },
        'm.mentions': {},
      }, txnId);
      // Marked only once sent: a failed send is retried with the event; the transaction id keeps it single.
      this.mark.run(d.roomId, d.agentId, day);
    }
    return keep;
  }
}
