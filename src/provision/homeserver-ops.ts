import { withMatrixRetry } from '../matrix/retry.ts';
import { AppserviceClient, enc, MatrixHttpError } from './client.ts';
import type { StateEvent } from './room-state.ts';

/** Custom profile field (MSC4133, stable as m.profile_fields) holding the employee's job title. */
export const TITLE_PROFILE_FIELD = 'org.openclawfleet.title';

const errcode = (err: unknown): string | undefined => (err instanceof MatrixHttpError ? err.errcode : undefined);
const status = (err: unknown): number | undefined => (err instanceof MatrixHttpError ? err.statusCode : undefined);

/** Each homeserver step provisioning takes, idempotent where the homeserver allows it, retried on 429/5xx. */
export class HomeserverOps {
  readonly client: AppserviceClient;
  readonly botUserId: string;

  constructor(client: AppserviceClient, botUserId: string) {
    this.client = client;
    this.botUserId = botUserId;
  }

  /** Appservice registration without a device (inhibit_login); an existing user counts as done. */
  async register(localpart: string): Promise<void> {
    try {
      await withMatrixRetry(() => this.client.request('POST', '/_matrix/client/v3/register', {
        body: { type: 'm.login.application_service', username: localpart, inhibit_login: true },
      }));
    } catch (err) {
      if (errcode(err) !== 'M_USER_IN_USE') throw err;
    }
  }

  async setDisplayName(userId: string, name: string): Promise<void> {
    await withMatrixRetry(() => this.client.request('PUT', `/_matrix/client/v3/profile/${enc(userId)}/displayname`, { asUser: userId, body: { displayname: name } }));
  }

  async setTitle(userId: string, title: string): Promise<void> {
    await withMatrixRetry(() => this.client.request('PUT', `/_matrix/client/v3/profile/${enc(userId)}/${TITLE_PROFILE_FIELD}`, { asUser: userId, body: { [TITLE_PROFILE_FIELD]: title } }));
  }

  /** Whether the homeserver stores custom profile fields (Synapse does; Conduit does not). */
  async supportsProfileFields(): Promise<boolean> {
    try {
      const res = await withMatrixRetry(() => this.client.request<{ capabilities?: Record<string, { enabled?: boolean; disallowed?: string[] }> }>(
        'GET', '/_matrix/client/v3/capabilities', { asUser: this.botUserId }));
      const cap = res.capabilities?.['m.profile_fields'] ?? res.capabilities?.['uk.tcpip.msc4133.profile_fields'];
      return cap?.enabled === true && !(cap.disallowed ?? []).includes(TITLE_PROFILE_FIELD);
    } catch {
      return false;
    }
  }

  /** The room an alias points at, or undefined when the alias does not exist. */
  async resolveAlias(alias: string, domain: string): Promise<string | undefined> {
    try {
      const res = await withMatrixRetry(() => this.client.request<{ room_id: string }>('GET', `/_matrix/client/v3/directory/room/${enc(`#${alias}:${domain}`)}`, { asUser: this.botUserId }));
      return res.room_id;
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw err;
    }
  }

  /** Creates the room, or returns undefined when its alias is taken already (an earlier run died before recording). */
  async createRoom(body: Record<string, unknown>): Promise<string | undefined> {
    try {
      const res = await withMatrixRetry(() => this.client.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', { asUser: this.botUserId, body }));
      return res.room_id;
    } catch (err) {
      if (errcode(err) === 'M_ROOM_IN_USE') return undefined;
      throw err;
    }
  }

  async putState(roomId: string, s: StateEvent): Promise<void> {
    await withMatrixRetry(() => this.client.request('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(s.type)}/${enc(s.stateKey)}`, { asUser: this.botUserId, body: s.content }));
  }

  async join(roomId: string, userId: string): Promise<void> {
    await withMatrixRetry(() => this.client.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/join`, { asUser: userId, body: {} }));
  }

  /** Invites a human; one already invited or joined counts as done. */
  async invite(roomId: string, userId: string): Promise<void> {
    try {
      await withMatrixRetry(() => this.client.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { asUser: this.botUserId, body: { user_id: userId } }));
    } catch (err) {
      if (!(status(err) === 403 && /already (in|joined)/i.test((err as Error).message))) throw err;
    }
  }

  /** The agent leaves; not being in the room (403/404) counts as done. */
  async leave(roomId: string, userId: string): Promise<void> {
    try {
      await withMatrixRetry(() => this.client.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, { asUser: userId, body: {} }));
    } catch (err) {
      if (status(err) !== 403 && status(err) !== 404) throw err;
    }
  }

  /** Removes a human (joined or still invited) as the bot: the fleet never acts for a human. */
  async kick(roomId: string, userId: string, reason: string): Promise<void> {
    try {
      await withMatrixRetry(() => this.client.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { asUser: this.botUserId, body: { user_id: userId, reason } }));
    } catch (err) {
      if (status(err) !== 403 && status(err) !== 404) throw err;
    }
  }
}
