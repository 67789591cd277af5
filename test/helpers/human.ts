import { ClientEvent, createClient, EventType, MsgType, RoomEvent, RoomMemberEvent, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { logger as sdkGlobalLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';

/** The SDK's own chatter (sync states, lazy loading) would drown test output; keep only its errors. */
const quiet: Logger = {
  trace: () => {}, debug: () => {}, info: () => {}, warn: () => {},
  error: (...msg: unknown[]) => console.error('[matrix-js-sdk]', ...msg),
  getChild: () => quiet,
};
// Parts of the SDK (event sending queue, MatrixRTC) log through its global loglevel logger instead.
(sdkGlobalLogger as unknown as { setLevel(level: string): void }).setLevel('error');

export interface SeenMessage { eventId: string; roomId: string; sender: string; body: string; content: Record<string, unknown> }

/**
 * A human at a real Matrix client (matrix-js-sdk over HTTP, password login, /sync), the way Element talks to the
 * homeserver. Records every message it sees so tests can wait for replies and count them.
 */
export class Human {
  readonly client: MatrixClient;
  readonly userId: string;
  readonly seen: SeenMessage[] = [];
  /** Users seen typing, per room. */
  readonly typing = new Map<string, Set<string>>();
  private readonly waiters = new Set<() => void>();

  private constructor(client: MatrixClient, userId: string) {
    this.client = client;
    this.userId = userId;
    client.on(RoomEvent.Timeline, (ev: MatrixEvent, room: Room | undefined) => {
      if (ev.getType() !== EventType.RoomMessage || !room) return;
      const content = ev.getContent();
      this.seen.push({ eventId: ev.getId()!, roomId: room.roomId, sender: ev.getSender()!, body: String(content.body ?? ''), content });
      for (const w of this.waiters) w();
    });
    client.on(RoomMemberEvent.Typing, (_ev, member) => {
      if (!member.typing) return;
      const users = this.typing.get(member.roomId) ?? new Set<string>();
      users.add(member.userId);
      this.typing.set(member.roomId, users);
    });
  }

  static async login(baseUrl: string, user: string, password: string): Promise<Human> {
    const anon = createClient({ baseUrl, logger: quiet });
    const res = await anon.loginRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password });
    const client = createClient({ baseUrl, userId: res.user_id, accessToken: res.access_token, deviceId: res.device_id, logger: quiet });
    const human = new Human(client, res.user_id);
    const ready = new Promise<void>((resolve) => client.once(ClientEvent.Sync, () => resolve()));
    await client.startClient({ initialSyncLimit: 0, lazyLoadMembers: true });
    await ready;
    return human;
  }

  /** Opens a direct chat the way Element does: a private room, the other user invited with is_direct. */
  async openDm(userId: string): Promise<string> {
    const { room_id } = await this.client.createRoom({ is_direct: true, invite: [userId], preset: 'trusted_private_chat' as never });
    return room_id;
  }

  async createGroup(name: string, invite: string[]): Promise<string> {
    const { room_id } = await this.client.createRoom({ name, invite, preset: 'private_chat' as never });
    return room_id;
  }

  async say(roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await this.client.sendEvent(roomId, EventType.RoomMessage, { msgtype: MsgType.Text, body, ...extra } as never);
    return res.event_id;
  }

  /** Waits until `count` messages match; rejects with what was seen after `timeoutMs`. */
  async waitFor(match: (m: SeenMessage) => boolean, timeoutMs = 20_000, count = 1): Promise<SeenMessage[]> {
    const found = () => this.seen.filter(match);
    if (found().length >= count) return found();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (found().length >= count) {
          cleanup();
          resolve(found());
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${count} message(s); saw: ${JSON.stringify(this.seen.map((m) => [m.sender, m.body]))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Member ids currently joined in a room, from the server. */
  async joinedMembers(roomId: string): Promise<string[]> {
    const res = await this.client.getJoinedRoomMembers(roomId);
    return Object.keys(res.joined);
  }

  stop(): void {
    this.client.stopClient();
  }
}
