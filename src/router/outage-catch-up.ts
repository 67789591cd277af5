import type { Logger } from '../log.ts';
import type { RoomEvent } from '../matrix/event.ts';
import { routerMetrics } from '../metrics/metrics.ts';
import type { Inbox } from './inbox.ts';

export interface OutageCatchUpOptions {
  inbox: Pick<Inbox, 'accept'>;
  /** The room's latest messages, newest first, read as `asUser` (an agent in the room). */
  readMessages(roomId: string, asUser: string, limit: number): Promise<RoomEvent[]>;
  /** Who is joined, as the router knows it. */
  joined(roomId: string): string[];
  isAgent(userId: string): boolean;
  log: Logger;
  /** Rooms with a message this recent are read again when the link comes back. Default 15 min. */
  windowMs?: number;
  /** At most this many rooms are remembered (the most recently active). Default 500. */
  maxRooms?: number;
  /** Messages read back per room. Default 50. */
  limit?: number;
  now?: () => number;
}

/**
 * Synapse can strand a transaction it was pushing when it stops: the events stay in its table and are sent only
 * after a later failure of the appservice, so messages people wrote just before a homeserver restart may not arrive.
 * The router remembers the rooms that were active lately and, when the link comes back after a failed ping, reads
 * each one's newest messages (as an agent in it) back to the last one it routed. They go through the inbox, whose
 * event ids dedupe whatever the homeserver does send again, so nothing is routed twice.
 */
export class OutageCatchUp {
  private readonly o: OutageCatchUpOptions;
  /** Insertion order is activity order: the oldest room is the first key. */
  private readonly recent = new Map<string, { lastEventId: string; at: number }>();

  constructor(opts: OutageCatchUpOptions) {
    this.o = opts;
  }

  /** Called for every message the router routes. */
  note(event: RoomEvent): void {
    if (event.type !== 'm.room.message') return;
    this.recent.delete(event.room_id);
    this.recent.set(event.room_id, { lastEventId: event.event_id, at: this.now() });
    const max = this.o.maxRooms ?? 500;
    while (this.recent.size > max) this.recent.delete(this.recent.keys().next().value!);
  }

  /** Reads the recently active rooms back; resolves to the number of messages new to the inbox. */
  async run(): Promise<number> {
    const since = this.now() - (this.o.windowMs ?? 15 * 60_000);
    let accepted = 0;
    for (const [roomId, { lastEventId, at }] of [...this.recent]) {
      if (at < since) continue;
      const reader = this.o.joined(roomId).find((id) => this.o.isAgent(id));
      if (!reader) continue;
      try {
        const missed: RoomEvent[] = [];
        for (const ev of await this.o.readMessages(roomId, reader, this.o.limit ?? 50)) {
          if (ev.event_id === lastEventId) break;
          if (ev.type === 'm.room.message') missed.push({ ...ev, room_id: ev.room_id ?? roomId });
        }
        if (missed.length === 0) continue;
        const result = this.o.inbox.accept(`catch-up.link.${this.now()}.${roomId}`, missed.reverse());
        accepted += result.accepted;
        routerMetrics.caughtUp.inc({ after: 'outage' }, result.accepted);
        if (result.accepted > 0) this.o.log.info({ roomId, accepted: result.accepted }, 'caught up on messages the homeserver did not push during its outage');
      } catch (err) {
        this.o.log.warn({ roomId, err: (err as Error).message }, 'could not read a room back after the homeserver came back');
      }
    }
    return accepted;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}
