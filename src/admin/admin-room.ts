import { createHash } from 'node:crypto';
import type { Bridge } from 'matrix-appservice-bridge';
import type { Logger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { RoomEvent } from '../router/mentions.ts';
import { withMatrixRetry } from '../matrix/retry.ts';
import { runAdminCommand, type AdminContext } from './commands.ts';

export const ADMIN_ROOM_LOCALPART = 'fleet-admin';

/**
 * The #fleet-admin room: humans of the org type commands, the appservice bot answers with notices. The room is found
 * by its alias (created by `./fleet provision`); until it exists, nothing here runs.
 */
export class AdminRoom {
  private roomId: string | undefined;
  private lastLookup = 0;
  private readonly bridge: Bridge;
  private readonly org: OrgDirectory;
  private readonly ctx: AdminContext;
  private readonly log: Logger;

  constructor(opts: { bridge: Bridge; org: OrgDirectory; ctx: AdminContext; log: Logger }) {
    this.bridge = opts.bridge;
    this.org = opts.org;
    this.ctx = opts.ctx;
    this.log = opts.log;
  }

  /** True when the event was an admin command (handled here, not routed to agents). */
  async handle(event: RoomEvent): Promise<boolean> {
    if (event.type !== 'm.room.message' || !this.org.isHuman(event.sender)) return false;
    const content = event.content as { msgtype?: unknown; body?: unknown; 'm.relates_to'?: { rel_type?: string } };
    if (content.msgtype !== 'm.text' || typeof content.body !== 'string' || content['m.relates_to']?.rel_type === 'm.replace') return false;
    if ((await this.adminRoomId()) !== event.room_id) return false;
    const answer = await runAdminCommand(content.body, this.ctx);
    const txnId = `ocf.admin.${createHash('sha256').update(event.event_id).digest('base64url').slice(0, 32)}`;
    const client = this.bridge.getBot().getClient();
    await withMatrixRetry(() => client.doRequest('PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(event.room_id)}/send/m.room.message/${txnId}`, null,
      { msgtype: 'm.notice', body: answer, 'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } } }));
    this.log.info({ sender: event.sender, command: content.body.split(/\s+/)[0] }, 'admin command answered');
    return true;
  }

  private async adminRoomId(): Promise<string | undefined> {
    if (this.roomId || Date.now() - this.lastLookup < 60_000) return this.roomId;
    this.lastLookup = Date.now();
    try {
      this.roomId = await this.bridge.getBot().getClient().resolveRoom(`#${ADMIN_ROOM_LOCALPART}:${this.org.domain}`);
    } catch {
      this.roomId = undefined; // not provisioned yet
    }
    return this.roomId;
  }
}
