import type { Bridge } from 'matrix-appservice-bridge';
import { sendAsBot } from '../admin/bot.ts';
import type { Logger } from '../log.ts';
import { txnId } from '../matrix/txn-id.ts';
import type { UserProvisioner } from '../matrix/provisioning.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { Db } from '../store/sqlite.ts';

/** The words a heartbeat starts with: tests count model calls whose prompt carries them. */
export const HEARTBEAT_MARKER = 'Heartbeat:';

/** Content key of a beat's scheduled time (ms since the epoch). */
export const HEARTBEAT_AT_KEY = 'org.openclawfleet.heartbeat_at';

/**
 * A beat's event content. It carries the beat's scheduled time: a Matrix event id is a hash of the event, so two
 * beats with the same words sent by the bot into the same room in the same millisecond would otherwise be one event,
 * and one of the beats the scheduler counted would never reach the agent (seen with a simulated clock).
 */
export function heartbeatContent(openTasks: string[], count: number, at: number): Record<string, unknown> {
  return { msgtype: 'm.text', body: heartbeatPrompt(openTasks, count), [HEARTBEAT_AT_KEY]: at };
}

export function heartbeatPrompt(openTasks: string[], count: number): string {
  const list = openTasks.length > 0 ? `\n${openTasks.map((t) => `- ${t}`).join('\n')}` : '';
  return `${HEARTBEAT_MARKER} you have ${Math.max(count, openTasks.length)} open task(s).${list}\n`
    + 'Move one forward with your tools (tasks, message_colleague) if you can; then answer here with one line of status.';
}

/**
 * Where a heartbeat reaches an agent: a private room of its own with the fleet's bot, created once by the router
 * as the agent. The bot posts the prompt there; the homeserver sends it back as an ordinary event, so routing,
 * the budget gate, claims and exactly-once apply as to any message (a DM addresses the agent). Nobody else reads
 * the room, so the agent's status line wakes no colleague; an admin can join it to look.
 */
export class HeartbeatRooms {
  private readonly o: { db: Db; bridge: Bridge; provisioner: UserProvisioner; org: OrgDirectory; log: Logger; botId: string };
  private readonly s;
  private readonly making = new Map<string, Promise<string>>();

  constructor(opts: HeartbeatRooms['o']) {
    this.o = opts;
    opts.db.exec('CREATE TABLE IF NOT EXISTS heartbeat_rooms (agent_id TEXT PRIMARY KEY, room_id TEXT NOT NULL)');
    this.s = {
      get: opts.db.prepare('SELECT room_id AS roomId FROM heartbeat_rooms WHERE agent_id = ?'),
      put: opts.db.prepare('INSERT OR REPLACE INTO heartbeat_rooms (agent_id, room_id) VALUES (?, ?)'),
    };
  }

  /** Posts one beat; failures are logged (the next interval tries again), never thrown into the scheduler. */
  beat(agentId: string, openTasks: string[], count: number, at: number): void {
    void this.roomOf(agentId)
      .then((roomId) => sendAsBot(this.o.bridge, roomId, 'm.room.message', heartbeatContent(openTasks, count, at),
        txnId('heartbeat', agentId, String(at))))
      .catch((err: Error) => this.o.log.warn({ agentId, err: err.message }, 'heartbeat not delivered; the next one tries again'));
  }

  private roomOf(agentId: string): Promise<string> {
    const known = (this.s.get.get(agentId) as { roomId: string } | undefined)?.roomId;
    if (known) return Promise.resolve(known);
    const pending = this.making.get(agentId) ?? this.create(agentId).finally(() => this.making.delete(agentId));
    this.making.set(agentId, pending);
    return pending;
  }

  private async create(agentId: string): Promise<string> {
    await this.o.provisioner.ensure(agentId);
    const name = this.o.org.get(agentId)?.name ?? agentId;
    const roomId = await this.o.bridge.getIntent(agentId).matrixClient.createRoom({
      preset: 'private_chat', name: `Heartbeat · ${name}`, invite: [this.o.botId],
      topic: 'The fleet wakes this agent here about its open tasks (config heartbeat).',
    });
    await this.o.bridge.getIntent().join(roomId);
    this.s.put.run(agentId, roomId);
    this.o.log.info({ agentId, roomId }, 'heartbeat room created');
    return roomId;
  }
}
