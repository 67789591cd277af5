import { randomUUID } from 'node:crypto';
import type { Bridge } from 'matrix-appservice-bridge';
import { withMatrixRetry } from '../matrix/retry.ts';

/** The company-wide room `broadcast` posts to (created by `./fleet provision`). */
export const ALL_EMPLOYEES_LOCALPART = 'all-employees';

/**
 * A room id from its alias as the appservice bot; undefined when the alias does not exist. Plain fetch rather than
 * the bot-sdk: before `./fleet provision` the alias does not exist, and the bot-sdk would log that expected 404 as
 * an error on every lookup.
 */
export async function resolveAliasAsBot(bridge: Bridge, alias: string): Promise<string | undefined> {
  const client = bridge.getBot().getClient() as unknown as { homeserverUrl: string; accessToken: string };
  const res = await fetch(new URL(`/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`, client.homeserverUrl), {
    headers: { authorization: `Bearer ${client.accessToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw Object.assign(new Error(`resolving ${alias}: HTTP ${res.status}`), { statusCode: res.status });
  return ((await res.json()) as { room_id?: string }).room_id;
}

/** Sends an event as the bot; the transaction id keeps a retried send single. */
export async function sendAsBot(bridge: Bridge, roomId: string, type: string, content: Record<string, unknown>, txn: string): Promise<void> {
  const client = bridge.getBot().getClient();
  await withMatrixRetry(() => client.doRequest('PUT',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${type}/${txn}`, null, content));
}

/**
 * Posts an operator's announcement to #all-employees as a notice: agents never answer notices, so a thousand of them
 * do not reply to it. Returns false when the room does not exist.
 */
export function broadcaster(bridge: Bridge, domain: string): (text: string) => Promise<boolean> {
  return async (text) => {
    const roomId = await resolveAliasAsBot(bridge, `#${ALL_EMPLOYEES_LOCALPART}:${domain}`);
    if (!roomId) return false;
    await sendAsBot(bridge, roomId, 'm.room.message', { msgtype: 'm.notice', body: text }, `broadcast-${randomUUID()}`);
    return true;
  };
}
