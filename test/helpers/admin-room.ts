import { AppserviceClient } from '../../src/provision/client.ts';
import { testHomeserver } from './homeserver.ts';
import type { Human, SeenMessage } from './human.ts';
import { repliesTo } from './wait.ts';

export interface TestAdminRoom {
  roomId: string;
  /** Types a command as `as` (default: the room's owner) and waits for the bot's answer to it. */
  command(text: string, as?: Human): Promise<SeenMessage>;
  /** Gives the alias up, so the next suite's room is the one the router finds. */
  close(): Promise<void>;
}

/**
 * A #fleet-admin room on the shared test homeserver, made by the bot with `owner` (the CEO) as admin, joined, and
 * answered at least once (the router finds the room by its alias, so the first commands may go unseen). The shared
 * homeserver's alias belongs to whichever suite made it last: this one replaces it.
 */
export async function openAdminRoom(owner: Human): Promise<TestAdminRoom> {
  const hs = testHomeserver();
  const bot = new AppserviceClient({ homeserverUrl: hs.url, asToken: hs.registration.asToken });
  const botId = `@${hs.registration.senderLocalpart}:${hs.serverName}`;
  const dropAlias = () => bot.request('DELETE', `/_matrix/client/v3/directory/room/${encodeURIComponent(`#fleet-admin:${hs.serverName}`)}`,
    { asUser: botId }).catch(() => undefined);
  await dropAlias();
  const { room_id: roomId } = await bot.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
    asUser: botId, body: { name: 'Fleet admin', preset: 'public_chat', room_alias_name: 'fleet-admin',
      power_level_content_override: { users: { [botId]: 100, [owner.userId]: 100 } } },
  });
  await owner.client.joinRoom(roomId);
  for (let i = 0; i < 50; i++) {
    const id = await owner.say(roomId, 'help');
    if (await owner.waitFor((m) => repliesTo(id)(m), 1000).then(() => true, () => false)) break;
  }
  return {
    roomId,
    async command(text, as = owner) {
      const eventId = await as.say(roomId, text);
      const [answer] = await as.waitFor((m) => m.roomId === roomId && m.content.msgtype === 'm.notice' && repliesTo(eventId)(m));
      return answer!;
    },
    async close() { await dropAlias(); },
  };
}
