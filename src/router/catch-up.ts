import type { Bridge } from 'matrix-appservice-bridge';
import type { Logger } from '../log.ts';
import type { RoomEvent } from '../matrix/event.ts';
import { routerMetrics } from '../metrics/metrics.ts';
import type { Inbox } from './inbox.ts';

/**
 * The registration's namespace lists only the fleet's users, so the homeserver pushes a room's events only once
 * an agent is in it. A person who opens a DM and types at once writes before the agent has accepted the invite:
 * those messages never reach the appservice. When an agent has joined, the router reads the room's messages since
 * the invite, as the agent, and puts them in the inbox, where the event id dedupes anything pushed as well.
 */
export async function catchUpAfterJoin(opts: { bridge: Bridge; inbox: Inbox; agentId: string; roomId: string; inviteEventId: string;
  log: Logger; limit?: number }): Promise<number> {
  const { roomId } = opts;
  const client = opts.bridge.getIntent(opts.agentId).matrixClient;
  const page = await client.doRequest('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`,
    { dir: 'b', limit: String(opts.limit ?? 50) }) as { chunk?: RoomEvent[] };
  const since: RoomEvent[] = [];
  for (const ev of page.chunk ?? []) {
    if (ev.event_id === opts.inviteEventId) break;
    if (ev.type === 'm.room.message') since.push({ ...ev, room_id: ev.room_id ?? roomId });
  }
  if (since.length === 0) return 0;
  const { accepted } = opts.inbox.accept(`catch-up.${opts.inviteEventId}`, since.reverse());
  routerMetrics.caughtUp.inc({ after: 'join' }, accepted);
  if (accepted > 0) opts.log.info({ roomId, agentId: opts.agentId, accepted }, 'caught up on messages sent before the agent joined');
  return accepted;
}
