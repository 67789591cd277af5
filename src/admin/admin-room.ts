import PQueue from 'p-queue';
import type { Bridge } from 'matrix-appservice-bridge';
import type { Logger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { RoomEvent } from '../router/mentions.ts';
import { describeError } from '../matrix/errors.ts';
import type { Answer } from './answer.ts';
import { resolveAliasAsBot, sendAsBot } from './bot.ts';
import { answerCommand, commandText, type BotSend } from './command-event.ts';
import { runAdminCommand, type AdminContext } from './commands.ts';
import { roleOf } from './permissions.ts';

export const ADMIN_ROOM_LOCALPART = 'fleet-admin';

/** How often the room's alias is looked up again while it does not exist (before `./fleet provision`). */
const LOOKUP_EVERY_MS = 15_000;
/** Power levels read from the homeserver are trusted this long (changes seen in the room apply at once). */
const POWER_LEVELS_TTL_MS = 30_000;

type PowerLevels = { users?: Record<string, number>; users_default?: number };

interface AdminRoomOptions {
  bridge: Bridge;
  org: OrgDirectory;
  ctx: AdminContext;
  /** config org.admins (matrix ids): admins besides the CEO. */
  admins?: readonly string[];
  log: Logger;
  /** Resolves #fleet-admin to a room id, undefined while it does not exist. Default: the directory API, as the bot. */
  resolveRoom?: () => Promise<string | undefined>;
  /** Sends an event as the bot (the answer, the reaction). Default: PUT /send with the given transaction id. */
  send?: BotSend;
  /** The room's m.room.power_levels content. Default: read as the bot. */
  powerLevels?: (roomId: string) => Promise<PowerLevels | undefined>;
}

/**
 * The #fleet-admin room: people type commands, the appservice bot answers with notices (plain body and HTML tables)
 * and reacts ✅ or ⛔ on the command. Who may do what is permissions.ts; anyone else who speaks here is refused. The
 * room is found by its alias (created by `./fleet provision`); until it exists, nothing here runs.
 *
 * `handle` decides at once whether an event is a command and never waits for it: commands run one at a time on the
 * room's own queue, so a slow `scale` or `usage` never holds up the delivery of other events.
 */
export class AdminRoom {
  private roomId: string | undefined;
  private lastLookup = 0;
  private lookup: Promise<void> | undefined;
  private readonly o: AdminRoomOptions;
  private readonly queue = new PQueue({ concurrency: 1 });
  private admins: ReadonlySet<string>;
  private power: { levels: PowerLevels; at: number } | undefined;

  constructor(opts: AdminRoomOptions) {
    this.o = opts;
    this.admins = new Set(opts.admins ?? []);
    this.refreshRoomId();
  }

  /** config org.admins after a reload. */
  setAdmins(admins: readonly string[]): void {
    this.admins = new Set(admins);
  }

  /** True when the event is an admin command: it is queued here and must not be routed to agents. */
  handle(event: RoomEvent): boolean {
    const command = this.commandOf(event);
    if (command === undefined) return false;
    void this.queue.add(() => this.run(event, command));
    return true;
  }

  /** Resolves when every queued command has been answered (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  private commandOf(event: RoomEvent): string | undefined {
    this.learnFromAliasEvent(event);
    this.learnPowerLevels(event);
    // Agents may sit in the room and talk; they are never operators, and never refused (no loops with the bot).
    const body = commandText(event);
    if (body === undefined || this.o.org.isAgent(event.sender)) return undefined;
    if (this.roomId === undefined) this.refreshRoomId();
    return this.roomId !== undefined && this.roomId === event.room_id ? body : undefined;
  }

  private async run(event: RoomEvent, command: string): Promise<void> {
    const name = command.trim().split(/\s+/)[0];
    try {
      const role = roleOf(this.o.org, this.admins, event.sender, await this.powerOf(event));
      const answer = await runAdminCommand(command, this.o.ctx, { id: event.sender, role, where: { roomId: event.room_id, eventId: event.event_id } });
      await this.reply(event, answer);
      this.o.log.info({ sender: event.sender, role, command: name, ok: answer.ok }, 'admin command answered');
    } catch (err) {
      this.o.log.warn({ sender: event.sender, command: name, err: describeError(err) }, 'admin command could not be answered');
    }
  }

  private async reply(event: RoomEvent, answer: Answer): Promise<void> {
    const send = this.o.send ?? ((roomId: string, type: string, content: Record<string, unknown>, txn: string) => sendAsBot(this.o.bridge, roomId, type, content, txn));
    await answerCommand(send, event, answer, 'admin');
  }

  /** The sender's power in the room, read only when it could make a difference (a human of the org, not an admin yet). */
  private async powerOf(event: RoomEvent): Promise<number | undefined> {
    const person = this.o.org.get(event.sender);
    if (!person?.human || person.reportsTo === null || this.admins.has(event.sender)) return undefined;
    if (!this.power || Date.now() - this.power.at > POWER_LEVELS_TTL_MS) {
      try {
        const levels = await (this.o.powerLevels ?? this.readPowerLevels.bind(this))(event.room_id);
        this.power = { levels: levels ?? {}, at: Date.now() };
      } catch (err) {
        this.o.log.warn({ err: describeError(err) }, 'could not read the power levels of #fleet-admin; treating the sender as a reader');
        return undefined;
      }
    }
    const { users = {}, users_default: fallback = 0 } = this.power.levels;
    return users[event.sender] ?? fallback;
  }

  private async readPowerLevels(roomId: string): Promise<PowerLevels | undefined> {
    return await this.o.bridge.getBot().getClient().getRoomStateEvent(roomId, 'm.room.power_levels', '') as PowerLevels | undefined;
  }

  private learnPowerLevels(event: RoomEvent): void {
    if (event.type === 'm.room.power_levels' && event.state_key === '' && event.room_id === this.roomId && typeof event.content === 'object' && event.content !== null) {
      this.power = { levels: event.content as PowerLevels, at: Date.now() };
    }
  }

  /**
   * Provisioning creates the room with its alias: the canonical-alias event names the room as soon as it exists.
   * (The homeserver refuses a canonical alias that does not point at the room, so the event can be taken as is.)
   */
  private learnFromAliasEvent(event: RoomEvent): void {
    if (event.type !== 'm.room.canonical_alias' || event.state_key !== '') return;
    if ((event.content as { alias?: unknown } | undefined)?.alias !== this.alias() || event.room_id === this.roomId) return;
    if (this.roomId === undefined) {
      this.roomId = event.room_id;
      return;
    }
    // Another room claims the alias (an operator made #fleet-admin anew): the directory, not the event, decides.
    void (this.o.resolveRoom ?? (() => resolveAliasAsBot(this.o.bridge, this.alias())))().then((id) => {
      if (id === undefined || id === this.roomId) return;
      this.o.log.info({ from: this.roomId, to: id }, '#fleet-admin moved to another room');
      this.roomId = id;
      this.power = undefined;
    }, (err: unknown) => this.o.log.warn({ err: describeError(err) }, 'could not look up the #fleet-admin room again'));
  }

  private alias(): string {
    return `#${ADMIN_ROOM_LOCALPART}:${this.o.org.domain}`;
  }

  /** Looks the alias up in the background, and again every 15 s while the room does not exist. */
  private refreshRoomId(): void {
    if (this.lookup || this.roomId !== undefined || Date.now() - this.lastLookup < LOOKUP_EVERY_MS) return;
    this.lastLookup = Date.now();
    this.lookup = (this.o.resolveRoom ?? (() => resolveAliasAsBot(this.o.bridge, this.alias())))()
      .then((id) => { this.roomId ??= id; }, (err: unknown) => {
        this.o.log.warn({ err: describeError(err) }, 'could not look up the #fleet-admin room; admin commands wait');
      })
      .finally(() => {
        this.lookup = undefined;
        if (this.roomId === undefined) setTimeout(() => this.refreshRoomId(), LOOKUP_EVERY_MS).unref();
      });
  }
}
