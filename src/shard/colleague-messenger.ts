import { createHash } from 'node:crypto';
import type { Bridge } from 'matrix-appservice-bridge';
import type { AgentServices, ConversationRef, HumanMessageOptions } from '../agents/runtime.ts';
import type { AgentMatrix } from '../matrix/agent-actions.ts';
import type { UserProvisioner } from '../matrix/provisioning.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { errcodeOf } from '../matrix/errors.ts';
import { withMatrixRetry } from '../matrix/retry.ts';
import { txnId } from '../matrix/txn-id.ts';
import type { Db } from '../store/sqlite.ts';
import { conversationFields, HOP_KEY } from './conversation.ts';
import { DEFAULT_MESSAGES_TO_HUMAN_PER_DAY } from '../human-quota/protocol.ts';
import type { Logger } from '../log.ts';
import { HumanMessageQuota, type FleetHumanQuota } from './human-message-quota.ts';

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * message_colleague over the appservice: a message as one agent that mentions another properly (m.mentions and a
 * pill), so the router routes it like any human's mention. Without a shared room it uses the pair's direct chat,
 * created the first time and remembered. A human of the org is written to where the conversation started when they
 * are in that room, else in the pair's direct chat, a bounded number of times a day.
 */
export class ColleagueMessenger implements AgentServices {
  private readonly bridge: Bridge;
  private readonly matrix: AgentMatrix;
  private readonly provisioner: UserProvisioner;
  private readonly org: OrgDirectory;
  private readonly humanQuota: HumanMessageQuota;
  private readonly findDm;
  private readonly saveDm;

  constructor(opts: { bridge: Bridge; matrix: AgentMatrix; provisioner: UserProvisioner; org: OrgDirectory; db: Db; maxMessagesToHumanPerDay?: number; now?: () => Date;
    /** The router's fleet-wide count of messages to humans; without it this shard's count alone bounds them. */
    fleetQuota?: { quota: FleetHumanQuota; log: Logger } }) {
    this.bridge = opts.bridge;
    this.matrix = opts.matrix;
    this.provisioner = opts.provisioner;
    this.org = opts.org;
    this.humanQuota = new HumanMessageQuota(opts.db, opts.maxMessagesToHumanPerDay ?? DEFAULT_MESSAGES_TO_HUMAN_PER_DAY, opts.now, opts.fleetQuota);
    opts.db.exec('CREATE TABLE IF NOT EXISTS agent_dms (a TEXT NOT NULL, b TEXT NOT NULL, room_id TEXT NOT NULL, PRIMARY KEY (a, b))');
    this.findDm = opts.db.prepare<[string, string], { room_id: string }>('SELECT room_id FROM agent_dms WHERE a = ? AND b = ?');
    this.saveDm = opts.db.prepare('INSERT OR REPLACE INTO agent_dms (a, b, room_id) VALUES (?, ?, ?)');
  }

  async messageColleague(from: string, to: string, text: string, opts: { roomId?: string; conversation?: ConversationRef }): Promise<{ roomId: string; eventId: string }> {
    const colleague = this.org.get(to);
    if (!colleague || colleague.human || !this.org.isAgent(from)) throw new Error(`${to} is not a colleague this agent can message`);
    const roomId = (opts.roomId && (await this.bothIn(opts.roomId, from, to))) ? opts.roomId : await this.directRoom(from, to);
    const conv = opts.conversation;
    const content = {
      msgtype: 'm.text',
      body: `${colleague.name}: ${text}`,
      format: 'org.matrix.custom.html',
      formatted_body: `<a href="https://matrix.to/#/${encodeURIComponent(to)}">${escapeHtml(colleague.name)}</a>: ${escapeHtml(text)}`,
      'm.mentions': { user_ids: [to] },
      // Outside any conversation the message starts one, one hop from whoever receives it.
      ...(conv ? conversationFields(conv) : { [HOP_KEY]: 1 }),
    };
    // Same request in the same conversation → same transaction id, so a retried turn does not ask twice.
    const txn = txnId('mc', from, to, text, conv?.rootEventId ?? '', String(conv?.hop ?? 0));
    const eventId = await this.matrix.send(from, roomId, content, txn);
    return { roomId, eventId };
  }

  async messageHuman(from: string, to: string, text: string, opts: HumanMessageOptions): Promise<{ roomId: string; eventId: string } | { refused: string }> {
    const human = this.org.get(to);
    if (!human?.human || !this.org.isAgent(from)) throw new Error(`${to} is not a human of the org this agent can message`);
    const conv = opts.conversation;
    // Named by the turn and the message's place in it, not by its text: a re-run turn whose model words it
    // differently still posts once.
    const txn = txnId('mh', opts.turnEventId, from, to, String(opts.nth));
    const refused = await this.humanQuota.take(txn, to);
    if (refused) return { refused };
    // The person who asked reads it where they asked; anyone else there too, unless the agent chose their DM.
    const inRoot = (to === conv.rootSender || !opts.direct) && conv.rootRoomId !== '' && (await this.bothIn(conv.rootRoomId, from, to));
    const roomId = inRoot ? conv.rootRoomId : await this.directRoom(from, to);
    const content = {
      msgtype: 'm.text',
      body: text,
      'm.mentions': { user_ids: [to] },
      ...(inRoot && conv.rootEventId ? { 'm.relates_to': { 'm.in_reply_to': { event_id: conv.rootEventId } } } : {}),
      ...conversationFields(conv),
    };
    const eventId = await this.matrix.send(from, roomId, content, txn);
    return { roomId, eventId };
  }

  private async bothIn(roomId: string, from: string, to: string): Promise<boolean> {
    try {
      const members = await this.bridge.getIntent(from).matrixClient.getJoinedRoomMembers(roomId);
      return members.includes(from) && members.includes(to);
    } catch {
      return false;
    }
  }

  private async directRoom(from: string, to: string): Promise<string> {
    const [a, b] = [from, to].sort() as [string, string];
    const known = this.findDm.get(a, b)?.room_id;
    if (known) return known;
    await this.provisioner.ensure(from);
    if (this.org.isAgent(to)) await this.provisioner.ensure(to);
    const intent = this.bridge.getIntent(from);
    // The pair's room has an alias derived from the pair: whichever shard, process or retry gets there first
    // creates it, everyone else finds it, so a crash, a move or two agents writing at once never make a second DM.
    const aliasName = `ocf-dm-${createHash('sha256').update(`${a}\0${b}`).digest('hex').slice(0, 24)}`;
    const alias = `#${aliasName}:${this.org.domain}`;
    const roomId = await withMatrixRetry(async () => {
      try {
        return await intent.matrixClient.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [to], room_alias_name: aliasName });
      } catch (err) {
        if (errcodeOf(err) !== 'M_ROOM_IN_USE') throw err;
        const existing = await intent.matrixClient.resolveRoom(alias);
        await intent.join(existing);
        return existing;
      }
    });
    this.saveDm.run(a, b, roomId);
    return roomId;
  }
}
