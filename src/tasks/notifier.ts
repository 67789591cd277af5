import type { ConversationRef } from '../agents/runtime.ts';
import type { Logger } from '../log.ts';
import { describeError } from '../matrix/errors.ts';
import { txnId } from '../matrix/txn-id.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';
import { conversationFields, HOP_KEY } from '../shard/conversation.ts';
import type { Notification, TaskStore } from './store.ts';

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What the notifier does on Matrix; the router implements it over the appservice (matrix-poster.ts). */
export interface TaskPoster {
  /** Sends as an agent or the bot with a transaction id; returns the event id. Throws on failure. */
  send(sender: string, roomId: string, content: Record<string, unknown>, txn: string): Promise<string>;
  /** The room id of a person's team room, when it exists and `speaker` is in it. */
  teamRoom(person: Person, speaker: string): Promise<string | undefined>;
  /** The direct chat of two users (made, with the other invited, the first time). */
  directRoom(speaker: string, other: string): Promise<string>;
}

const MAX_ATTEMPTS = 20;

/**
 * Sends the notices task changes owe (store.task_notifications) one at a time, oldest first, until posted. The
 * notice to an agent is an m.text mentioning it, so routing starts its turn; to a human it is an m.notice from the
 * bot, which wakes nobody. A "done" to the agent that assigned the task answers its own assignment message, so that
 * agent's reply goes back to where its work came from (the report-back of agent-host) instead of to the colleague.
 * Transaction ids come from the notice's id: a retry after a crash posts once.
 */
export class TaskNotifier {
  private readonly o: { store: TaskStore; org: OrgDirectory; botId: string; poster: TaskPoster; log: Logger; retryMs?: number };
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(opts: TaskNotifier['o']) {
    this.o = opts;
  }

  /** Wakes the sender (after a change, and on start for what a previous process left unsent). */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves when nothing is being sent (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.idle();
  }

  private async drain(): Promise<void> {
    let failed = false;
    for (const n of this.o.store.unsentNotifications(50)) {
      if (this.closed) return;
      if (n.attempts >= MAX_ATTEMPTS) continue;
      try {
        await this.post(n);
        this.o.store.markSent(n.id);
      } catch (err) {
        failed = true;
        this.o.store.markFailed(n.id, describeError(err));
        this.o.log.warn({ notification: n.id, task: n.taskId, attempts: n.attempts + 1, err: describeError(err) }, 'task notice not sent; will retry');
      }
    }
    if (failed && !this.closed) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.kick(), this.o.retryMs ?? 5000);
      this.timer.unref();
    }
  }

  private async post(n: Notification): Promise<void> {
    const { store, org, botId, poster } = this.o;
    const task = store.get(n.taskId);
    const to = org.get(n.recipient);
    if (!task || !to) return; // nothing left to tell
    const txn = txnId('task', String(n.id));
    const mention = { 'm.mentions': { user_ids: [to.matrixId] } };
    const pill = `<a href="https://matrix.to/#/${encodeURIComponent(to.matrixId)}">${escapeHtml(to.name)}</a>`;

    if (to.human) {
      // The human is told where they asked (the bot answered them there), else in their direct chat with the bot.
      const home = n.kind !== 'assigned' && task.creator === to.matrixId && task.originRoom ? task.originRoom : undefined;
      const roomId = home ?? await poster.directRoom(botId, to.matrixId);
      await poster.send(botId, roomId, {
        msgtype: 'm.notice', body: `${to.name}: ${n.body}`, format: 'org.matrix.custom.html', formatted_body: `${pill}: ${escapeHtml(n.body)}`,
        ...mention, ...(home && task.originEvent ? { 'm.relates_to': { 'm.in_reply_to': { event_id: task.originEvent } } } : {}),
      }, txn);
      return;
    }

    const conversation = n.conversation ? JSON.parse(n.conversation) as ConversationRef : undefined;
    const fields = n.speaker === botId ? {} : conversation ? conversationFields(conversation) : { [HOP_KEY]: 1 };
    const content = {
      msgtype: 'm.text', body: `${to.name}: ${n.body}`, format: 'org.matrix.custom.html', formatted_body: `${pill}: ${escapeHtml(n.body)}`,
      ...mention, ...fields,
    };
    const answersAssignment = n.kind !== 'assigned' && task.assignedBy === to.matrixId && task.assignedRoom && task.assignedEvent;
    if (answersAssignment) {
      await poster.send(n.speaker, task.assignedRoom!, { ...content, 'm.relates_to': { 'm.in_reply_to': { event_id: task.assignedEvent } } }, txn);
      return;
    }
    const roomId = (await poster.teamRoom(to, n.speaker)) ?? await poster.directRoom(n.speaker, to.matrixId);
    const eventId = await poster.send(n.speaker, roomId, content, txn);
    if (n.kind === 'assigned') store.noteAssignmentMessage(task.id, roomId, eventId, n.speaker);
  }
}
