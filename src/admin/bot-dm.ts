import PQueue from 'p-queue';
import type { Bridge } from 'matrix-appservice-bridge';
import type { Logger } from '../log.ts';
import { describeError } from '../matrix/errors.ts';
import { withMatrixRetry } from '../matrix/retry.ts';
import { txnId } from '../matrix/txn-id.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { RoomEvent } from '../router/mentions.ts';
import type { Db } from '../store/sqlite.ts';
import { ADMIN_ROOM_LOCALPART } from './admin-room.ts';
import { sendAsBot } from './bot.ts';
import { answerCommand, commandText, type BotSend } from './command-event.ts';
import { runAdminCommand, type AdminContext } from './commands.ts';
import { roleOf } from './permissions.ts';

/**
 * What a direct chat with the bot answers: the task tracker, help, and the org lookup. Everything else (the fleet,
 * agents' turns and costs, changes) stays in #fleet-admin, where the operators see it and power levels apply.
 */
export const DM_COMMANDS: ReadonlySet<string> = new Set(['help', 'tasks', 'who']);

/** Command event ids remembered against a second delivery of the same event (the inbox dedupes the rest). */
const REMEMBERED = 1000;

const SCHEMA = `
  -- Direct chats of the bot with one human of the org, who opened them (or accepted the task notifier's); open = 0
  -- once it stopped being one (someone else came in, the human left), so it is never taken for one again.
  CREATE TABLE IF NOT EXISTS bot_direct_chats (room_id TEXT PRIMARY KEY, human TEXT NOT NULL, since INTEGER NOT NULL, open INTEGER NOT NULL);
`;

/** The bot's side of Matrix in a direct chat. */
export interface BotMatrix {
  send: BotSend;
  join(roomId: string): Promise<void>;
  leave(roomId: string): Promise<void>;
  /** Joined and invited members, read as the bot (which is in the room). */
  members(roomId: string): Promise<string[]>;
}

export function botMatrix(bridge: Bridge): BotMatrix {
  const client = () => bridge.getBot().getClient();
  return {
    send: (roomId, type, content, txn) => sendAsBot(bridge, roomId, type, content, txn),
    join: async (roomId) => { await withMatrixRetry(() => client().joinRoom(roomId)); },
    leave: async (roomId) => { await withMatrixRetry(() => client().leaveRoom(roomId)); },
    members: async (roomId) => (await withMatrixRetry(() => client().getRoomMembers(roomId, undefined, ['join', 'invite']))).map((m) => m.membershipFor),
  };
}

interface BotDirectChatsOptions {
  botId: string;
  org: OrgDirectory;
  ctx: AdminContext;
  db: Db;
  matrix: BotMatrix;
  log: Logger;
  /**
   * The task notifier's direct chat of the bot with a person (tasks' task_dm_rooms). A person answering in the one
   * the notifier made is answered; the one a person opens becomes where their notices go.
   */
  taskRooms?: { get(humanId: string): string | undefined; set(humanId: string, roomId: string): void; forget?(humanId: string, roomId: string): void };
}

/**
 * Direct chats with the fleet bot: any human of the org invites it to a DM and types the same commands as in
 * #fleet-admin (tasks, help, who), answered there as themself. The bot joins only a human of the org's invite and
 * stays only while the room is the bot and that human; a DM with it is never routed to agents (the bot is none).
 *
 * Like the admin room, `handle` decides at once and never waits: commands run one at a time on one queue, so delivery
 * of other events goes on. Answers carry transaction ids from the command's event id, so a redelivered command
 * posts nothing twice (and `tasks create` takes the event id as its request key: no second task).
 */
export class BotDirectChats {
  private readonly o: BotDirectChatsOptions;
  private readonly queue = new PQueue({ concurrency: 1 });
  private readonly answered = new Set<string>();
  private readonly stmts;

  constructor(opts: BotDirectChatsOptions) {
    this.o = opts;
    opts.db.exec(SCHEMA);
    this.stmts = {
      room: opts.db.prepare<[string], { human: string; open: number }>('SELECT human, open FROM bot_direct_chats WHERE room_id = ?'),
      add: opts.db.prepare('INSERT OR REPLACE INTO bot_direct_chats (room_id, human, since, open) VALUES (?, ?, ?, ?)'),
      close: opts.db.prepare('UPDATE bot_direct_chats SET open = 0 WHERE room_id = ?'),
    };
  }

  /** True when the event belongs to a direct chat with the bot: it is handled here and must not be routed to agents. */
  handle(event: RoomEvent): boolean {
    if (typeof event.content !== 'object' || event.content === null) return false;
    if (event.type === 'm.room.member') {
      this.onMember(event);
      return false; // routing still records who is in which room
    }
    if (event.type !== 'm.room.message') return false;
    const command = commandText(event);
    const known = this.stmts.room.get(event.room_id);
    const human = known?.open ? known.human : undefined;
    if (human === undefined) {
      // The direct chat the task notifier made for this person: adopted on the first command typed there.
      if (known || command === undefined || !this.isHuman(event.sender) || this.o.taskRooms?.get(event.sender) !== event.room_id) return false;
      this.enqueue(event, command, true);
      return true;
    }
    // Nothing said here is for agents; only the human's own commands are answered (never notices, never the bot's).
    if (command !== undefined && event.sender === human) this.enqueue(event, command, false);
    return true;
  }

  /** Resolves when every queued command and invite has been handled (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  /** The human of a direct chat with the bot, or undefined when the room is not one. */
  humanOf(roomId: string): string | undefined {
    const known = this.stmts.room.get(roomId);
    return known?.open ? known.human : undefined;
  }

  private isHuman(userId: string): boolean {
    return this.o.org.get(userId)?.human === true;
  }

  private enqueue(event: RoomEvent, command: string, adopt: boolean): void {
    if (this.answered.has(event.event_id)) return;
    this.answered.add(event.event_id);
    if (this.answered.size > REMEMBERED) this.answered.delete(this.answered.values().next().value!);
    void this.queue.add(() => this.run(event, command, adopt));
  }

  private onMember(event: RoomEvent): void {
    const { botId } = this.o;
    const target = event.state_key;
    const membership = (event.content as { membership?: unknown }).membership;
    if (target === botId && membership === 'invite') {
      void this.queue.add(() => this.onInvite(event));
      return;
    }
    const human = this.humanOf(event.room_id);
    if (human === undefined || typeof target !== 'string') return;
    const gone = membership === 'leave' || membership === 'ban';
    if (target === botId && gone) this.forget(event.room_id); // the bot was removed
    else if (target === human && gone) this.leave(event, 'the person left');
    else if (target !== botId && target !== human && (membership === 'join' || membership === 'invite')) {
      this.leave(event, 'someone else came in', 'This is no longer a direct chat, so I am leaving. Open a direct chat with me, or use '
        + `${this.adminAlias()} where every human of the org may type commands.`);
    }
  }

  /** A human of the org's invite to a room of the two of them is accepted; an agent's is the fleet's own; any other is declined. */
  private async onInvite(event: RoomEvent): Promise<void> {
    const { matrix, log } = this.o;
    const roomId = event.room_id;
    try {
      // Agents invite the bot only to the fleet's own rooms (an agent's heartbeat room), which the router joins itself.
      if (this.o.org.isAgent(event.sender)) return;
      if (!this.isHuman(event.sender)) {
        await matrix.leave(roomId);
        log.info({ roomId, inviter: event.sender }, 'declined an invite from someone not a human of the org');
        return;
      }
      await matrix.join(roomId);
      if (!(await this.isDirect(roomId, event.sender))) {
        await matrix.send(roomId, 'm.room.message', { msgtype: 'm.notice', body: `I answer commands in a direct chat of you and me only, or in ${this.adminAlias()}. I am leaving this room.` },
          txnId('bot-dm-not-direct', event.event_id));
        await matrix.leave(roomId);
        log.info({ roomId, inviter: event.sender }, 'left a room with more than the bot and its inviter');
        return;
      }
      this.remember(roomId, event.sender);
      const name = this.o.org.get(event.sender)?.name ?? event.sender;
      await matrix.send(roomId, 'm.room.message', {
        msgtype: 'm.notice',
        body: `Hello ${name}. Type "tasks" for your open tasks, "tasks create <title> --for <who>" to hand out work, or "help" for what I answer here. `
          + `Task notices for you arrive here. The other commands are answered in ${this.adminAlias()}.`,
      }, txnId('bot-dm-welcome', event.event_id));
      log.info({ roomId, human: event.sender }, 'joined a direct chat');
    } catch (err) {
      log.warn({ roomId, inviter: event.sender, err: describeError(err) }, 'could not answer an invite to the bot');
    }
  }

  private async run(event: RoomEvent, command: string, adopt: boolean): Promise<void> {
    const { log } = this.o;
    const name = command.trim().split(/\s+/)[0];
    try {
      if (adopt) {
        const direct = await this.isDirect(event.room_id, event.sender);
        this.stmts.add.run(event.room_id, event.sender, Date.now(), direct ? 1 : 0);
        if (!direct) return;
      }
      // No admins needed: nothing answered here changes the fleet, and the tasks service has its own who-may-do-what.
      const role = roleOf(this.o.org, new Set(), event.sender);
      const answer = await runAdminCommand(command, this.o.ctx, {
        id: event.sender, role, where: { roomId: event.room_id, eventId: event.event_id }, only: { commands: DM_COMMANDS, elsewhere: this.adminAlias() },
      });
      await answerCommand(this.o.matrix.send, event, answer, 'bot-dm');
      log.info({ sender: event.sender, command: name, ok: answer.ok }, 'direct chat command answered');
    } catch (err) {
      log.warn({ sender: event.sender, command: name, err: describeError(err) }, 'direct chat command could not be answered');
    }
  }

  /** Only the bot and `human`, joined or invited. */
  private async isDirect(roomId: string, human: string): Promise<boolean> {
    const others = (await this.o.matrix.members(roomId)).filter((m) => m !== this.o.botId);
    return others.length === 1 && others[0] === human;
  }

  private remember(roomId: string, human: string): void {
    this.stmts.add.run(roomId, human, Date.now(), 1);
    this.o.taskRooms?.set(human, roomId);
  }

  private forget(roomId: string): void {
    const human = this.humanOf(roomId);
    this.stmts.close.run(roomId);
    // Task notices must not keep going to a room the bot is no longer in.
    if (human !== undefined) this.o.taskRooms?.forget?.(human, roomId);
  }

  private leave(event: RoomEvent, why: string, notice?: string): void {
    this.forget(event.room_id);
    void this.queue.add(async () => {
      try {
        if (notice) await this.o.matrix.send(event.room_id, 'm.room.message', { msgtype: 'm.notice', body: notice }, txnId('bot-dm-leaving', event.event_id));
        await this.o.matrix.leave(event.room_id);
        this.o.log.info({ roomId: event.room_id, why }, 'left a direct chat');
      } catch (err) {
        this.o.log.warn({ roomId: event.room_id, err: describeError(err) }, 'could not leave a former direct chat');
      }
    });
  }

  private adminAlias(): string {
    return `#${ADMIN_ROOM_LOCALPART}:${this.o.org.domain}`;
  }
}
