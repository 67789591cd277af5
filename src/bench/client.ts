/**
 * A lean Matrix client for measurements: password login, room creation, sends with transaction ids and a /sync
 * long-poll loop, over plain fetch. It does what Element does on the wire for these flows, and records when each
 * message arrived, without a client SDK's own processing in the figures (and without a dev dependency in src/).
 */
import { componentLogger } from '../log.ts';
import { sleep } from './stats.ts';

const log = componentLogger('bench-client');

export interface ReceivedMessage {
  eventId: string;
  roomId: string;
  sender: string;
  body: string;
  /** The event this one replies to (m.in_reply_to), if any. */
  inReplyTo?: string;
  /** performance.now() when the /sync response carrying it was read. */
  receivedAt: number;
}

export class MatrixRequestError extends Error {
  readonly status: number;
  readonly errcode: string | undefined;
  constructor(status: number, errcode: string | undefined, message: string) {
    super(message);
    this.name = 'MatrixRequestError';
    this.status = status;
    this.errcode = errcode;
  }
}

const SYNC_TIMEOUT_MS = 30_000;
/** Forget received messages nobody asked about beyond this many, so long runs keep a bounded index. */
const MAX_INDEXED = 20_000;
/** Only messages matter here; typing, receipts and presence would only wake the long poll for nothing. */
const SYNC_FILTER = JSON.stringify({
  presence: { types: [] },
  account_data: { types: [] },
  room: {
    timeline: { types: ['m.room.message'], limit: 1000 },
    state: { lazy_load_members: true, types: [] },
    ephemeral: { types: [] },
    account_data: { types: [] },
  },
});

type Waiter = (m: ReceivedMessage) => void;

export class BenchClient {
  readonly userId: string;
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #stop = new AbortController();
  readonly #byEventId = new Map<string, ReceivedMessage>();
  readonly #byReplyTo = new Map<string, ReceivedMessage>();
  readonly #waiters = new Map<string, Waiter>();
  #since: string | undefined;
  #loop: Promise<void> | undefined;
  #txn = 0;

  private constructor(baseUrl: string, userId: string, token: string) {
    this.#baseUrl = baseUrl.replace(/\/$/, '');
    this.userId = userId;
    this.#token = token;
  }

  /** Logs in with a password and starts syncing from now on (earlier history is skipped). */
  static async login(baseUrl: string, user: string, password: string): Promise<BenchClient> {
    const anonymous = new BenchClient(baseUrl, '', '');
    const res = await anonymous.request<{ user_id: string; access_token: string }>('POST', '/_matrix/client/v3/login', {
      type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, initial_device_display_name: 'fleet bench',
    });
    const client = new BenchClient(baseUrl, res.user_id, res.access_token);
    await client.#syncOnce(0);
    client.#loop = client.#syncLoop();
    return client;
  }

  async createRoom(opts: { invite: string[]; direct?: boolean; name?: string }): Promise<string> {
    const res = await this.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
      invite: opts.invite,
      is_direct: opts.direct ?? false,
      preset: opts.direct ? 'trusted_private_chat' : 'private_chat',
      ...(opts.name ? { name: opts.name } : {}),
    });
    return res.room_id;
  }

  async join(roomId: string): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
  }

  async joinedMembers(roomId: string): Promise<string[]> {
    const res = await this.request<{ joined: Record<string, unknown> }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`);
    return Object.keys(res.joined);
  }

  /** Sends a text message; resolves with its event id once the homeserver has accepted it. */
  async say(roomId: string, body: string): Promise<string> {
    const txnId = `bench-${process.pid}-${Date.now()}-${++this.#txn}`;
    const res = await this.request<{ event_id: string }>(
      'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body },
    );
    return res.event_id;
  }

  /** The message with this id as this client's sync delivers it (immediately if it already has). */
  waitForEvent(eventId: string, timeoutMs: number): Promise<ReceivedMessage> {
    return this.#wait(this.#byEventId, `event:${eventId}`, eventId, timeoutMs);
  }

  /** The first message replying to `eventId`. */
  waitForReplyTo(eventId: string, timeoutMs: number): Promise<ReceivedMessage> {
    return this.#wait(this.#byReplyTo, `reply:${eventId}`, eventId, timeoutMs);
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop?.catch(() => undefined);
    for (const [key] of this.#waiters) this.#waiters.delete(key);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: {
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: signal ?? AbortSignal.timeout(60_000),
      });
      const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.ok) return json as T;
      // Rate limits are lifted on the bench homeserver, but honour one anyway rather than fail a long run.
      if (res.status === 429 && attempt < 5) {
        await sleep(typeof json.retry_after_ms === 'number' ? json.retry_after_ms : 500);
        continue;
      }
      const errcode = typeof json.errcode === 'string' ? json.errcode : undefined;
      throw new MatrixRequestError(res.status, errcode, `${method} ${path.split('?')[0]}: HTTP ${res.status} ${errcode ?? ''} ${String(json.error ?? '')}`.trim());
    }
  }

  #wait(index: Map<string, ReceivedMessage>, key: string, id: string, timeoutMs: number): Promise<ReceivedMessage> {
    const seen = index.get(id);
    if (seen) {
      index.delete(id);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key);
        reject(new Error(`${this.userId} saw no ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(key, (m) => {
        clearTimeout(timer);
        this.#waiters.delete(key);
        index.delete(id);
        resolve(m);
      });
    });
  }

  async #syncLoop(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      try {
        await this.#syncOnce(SYNC_TIMEOUT_MS);
      } catch (err) {
        if (this.#stop.signal.aborted) return;
        log.warn({ user: this.userId, err: (err as Error).message }, 'sync failed; retrying');
        await sleep(500);
      }
    }
  }

  async #syncOnce(timeoutMs: number): Promise<void> {
    const query = new URLSearchParams({ filter: SYNC_FILTER, timeout: String(timeoutMs) });
    if (this.#since) query.set('since', this.#since);
    const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(timeoutMs + 30_000)]);
    const res = await this.request<SyncResponse>('GET', `/_matrix/client/v3/sync?${query}`, undefined, signal);
    const receivedAt = performance.now();
    const first = this.#since === undefined;
    this.#since = res.next_batch;
    if (first) return; // history before the client started is not what anyone is waiting for
    for (const [roomId, room] of Object.entries(res.rooms?.join ?? {})) {
      for (const ev of room.timeline?.events ?? []) {
        if (ev.type !== 'm.room.message' || typeof ev.event_id !== 'string') continue;
        this.#receive({
          eventId: ev.event_id, roomId, sender: String(ev.sender), body: String(ev.content?.body ?? ''),
          ...replyTarget(ev.content), receivedAt,
        });
      }
    }
  }

  #receive(m: ReceivedMessage): void {
    const byEvent = this.#waiters.get(`event:${m.eventId}`);
    if (byEvent) byEvent(m);
    else remember(this.#byEventId, m.eventId, m);
    if (m.inReplyTo === undefined) return;
    const byReply = this.#waiters.get(`reply:${m.inReplyTo}`);
    if (byReply) byReply(m);
    else if (!this.#byReplyTo.has(m.inReplyTo)) remember(this.#byReplyTo, m.inReplyTo, m);
  }
}

interface SyncEvent { type: string; event_id?: string; sender?: string; content?: Record<string, unknown> }
interface SyncResponse {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline?: { events?: SyncEvent[] } }> };
}

function replyTarget(content: Record<string, unknown> | undefined): { inReplyTo?: string } {
  const relates = content?.['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: unknown } } | undefined;
  const id = relates?.['m.in_reply_to']?.event_id;
  return typeof id === 'string' ? { inReplyTo: id } : {};
}

function remember(index: Map<string, ReceivedMessage>, key: string, m: ReceivedMessage): void {
  index.set(key, m);
  if (index.size > MAX_INDEXED) index.delete(index.keys().next().value!);
}
