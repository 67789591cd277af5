import { createHash } from 'node:crypto';
import type { Bridge } from 'matrix-appservice-bridge';
import type { AgentMatrix } from '../matrix/agent-actions.ts';
import { errcodeOf } from '../matrix/errors.ts';
import type { UserProvisioner } from '../matrix/provisioning.ts';
import { withMatrixRetry } from '../matrix/retry.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';
import { teamAliasLocalparts, teamKey } from '../provision/slug.ts';
import { resolveAliasAsBot } from '../admin/bot.ts';
import type { TaskPoster } from './notifier.ts';
import type { TaskStore } from './store.ts';

/** Team rooms are looked up by alias once in a while, not per notice. */
const TEAM_ROOM_TTL_MS = 10 * 60_000;

/**
 * The notifier's Matrix side in the router, which acts as every agent and as the bot. Direct chats use the alias
 * scheme of message_colleague (`ocf-dm-<hash of the pair>`), so two agents keep one DM whichever path made it.
 */
export function matrixTaskPoster(o: { bridge: Bridge; agents: AgentMatrix; provisioner: UserProvisioner; org: OrgDirectory; store: TaskStore; botId: string }): TaskPoster {
  const teamRooms = new Map<string, { roomId: string | undefined; at: number }>();
  let aliases: { org: OrgDirectory; map: Map<string, string> } | undefined;
  const clientOf = async (userId: string) => {
    if (userId === o.botId) return o.bridge.getBot().getClient();
    await o.provisioner.ensure(userId);
    return o.bridge.getIntent(userId).matrixClient;
  };

  return {
    async send(sender, roomId, content, txn) {
      if (sender !== o.botId) return o.agents.send(sender, roomId, content, txn);
      const client = o.bridge.getBot().getClient();
      const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txn)}`;
      const res = await withMatrixRetry(() => client.doRequest('PUT', path, null, content) as Promise<{ event_id: string }>);
      return res.event_id;
    },

    async teamRoom(person: Person, speaker: string) {
      if (person.team === null) return undefined;
      if (aliases?.org !== o.org) aliases = { org: o.org, map: teamAliasLocalparts(o.org.teams()) };
      const alias = aliases.map.get(teamKey({ department: person.department, team: person.team }));
      if (!alias) return undefined;
      let known = teamRooms.get(alias);
      if (!known || Date.now() - known.at > TEAM_ROOM_TTL_MS) {
        known = { roomId: await resolveAliasAsBot(o.bridge, `#${alias}:${o.org.domain}`), at: Date.now() };
        teamRooms.set(alias, known);
      }
      if (!known.roomId) return undefined;
      try {
        const members = await (await clientOf(speaker)).getJoinedRoomMembers(known.roomId);
        return members.includes(speaker) && members.includes(person.matrixId) ? known.roomId : undefined;
      } catch {
        return undefined; // the speaker is not in it: a direct chat instead
      }
    },

    async directRoom(speaker, other) {
      const [a, b] = [speaker, other].sort() as [string, string];
      const saved = o.store.dmRoom(a, b);
      if (saved) return saved;
      if (o.org.isAgent(other)) await o.provisioner.ensure(other);
      const client = await clientOf(speaker);
      const aliasName = `ocf-dm-${createHash('sha256').update(`${a}\0${b}`).digest('hex').slice(0, 24)}`;
      // Whoever gets there first creates the room under the pair's alias; a retry or a second path finds it.
      const roomId = await withMatrixRetry(async () => {
        try {
          return await client.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [other], room_alias_name: aliasName });
        } catch (err) {
          if (errcodeOf(err) !== 'M_ROOM_IN_USE') throw err;
          const alias = `#${aliasName}:${o.org.domain}`;
          const existing = await client.resolveRoom(alias);
          try {
            await client.joinRoom(existing);
            return existing;
          } catch (joinErr) {
            // The pair's old room was left for good (a human left the bot's DM, the bot followed): a new room takes the alias.
            if (errcodeOf(joinErr) !== 'M_FORBIDDEN') throw joinErr;
            await client.deleteRoomAlias(alias);
            return await client.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [other], room_alias_name: aliasName });
          }
        }
      });
      o.store.saveDmRoom(a, b, roomId);
      return roomId;
    },
  };
}
