import PQueue from 'p-queue';
import type { AgentRuntime, AgentTurnResult } from '../agents/runtime.ts';
import type { Logger } from '../log.ts';
import { replyTxnId, type AgentMatrix } from '../matrix/agent-actions.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { stripReplyFallback } from '../router/mentions.ts';
import type { ConversationRef } from '../agents/runtime.ts';
import { conversationFields, conversationOf } from './conversation.ts';
import type { Delivery } from './protocol.ts';
import type { ShardLimits } from './limits/shard-limits.ts';
import type { ShardStore, StoredDelivery } from './store.ts';

const TYPING_AFTER_MS = 300;

export interface AgentHostOptions {
  org: OrgDirectory;
  store: ShardStore;
  matrix: AgentMatrix;
  runtime: AgentRuntime;
  log: Logger;
  /** Agents stop auto-replying when a message has travelled this many agent hops. */
  maxHops: number;
  maxInputChars: number;
  maxReplyChars: number;
  /** Shard-wide turn slots, per-agent turns per minute and per-room reply budgets. */
  limits?: ShardLimits;
  /** Estimated USD cost of a model call (price table from config); undefined when the model has no price. */
  costOf?: (model: string, usage: { inputTokens: number; outputTokens: number }) => number | undefined;
  /** Told when a delivery is finished (done, skipped or failed), so the router can forget it. */
  onFinished?: (deliveryId: string) => void;
}

/**
 * Runs each hosted agent's work in order (one queue per agent, concurrency 1), across agents in parallel. Work comes
 * from the shard's store, so what was accepted before a crash is picked up again at start.
 */
export class AgentHost {
  private readonly o: AgentHostOptions;
  private readonly queues = new Map<string, PQueue>();

  constructor(opts: AgentHostOptions) {
    this.o = opts;
  }

  /** Persists, then schedules; returns the ids the router may consider handed over (all of them, repeats included). */
  accept(deliveries: Delivery[]): string[] {
    const fresh = this.o.store.accept(deliveries);
    for (const stored of fresh) this.schedule(stored);
    // A repeat of something already finished here: remind the router, whose report may have been lost.
    const freshIds = new Set(fresh.map((f) => f.delivery.id));
    for (const d of deliveries) {
      if (!freshIds.has(d.id) && this.o.store.state(d.id) !== 'pending') this.o.onFinished?.(d.id);
    }
    return deliveries.map((d) => d.id);
  }

  resumePending(): number {
    const pending = this.o.store.pending();
    for (const p of pending) this.schedule(p);
    return pending.length;
  }

  /** Waits until every queue is empty (tests, orderly shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.onIdle()));
  }

  queueDepths(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [agent, q] of this.queues) if (q.size + q.pending > 0) out[agent] = q.size + q.pending;
    return out;
  }

  private schedule(stored: StoredDelivery): void {
    const agentId = stored.delivery.agentId;
    let q = this.queues.get(agentId);
    if (!q) {
      q = new PQueue({ concurrency: 1 });
      this.queues.set(agentId, q);
      q.addEventListener('idle', () => {
        if (q!.size === 0 && q!.pending === 0) this.queues.delete(agentId);
      });
    }
    void q.add(() => this.run(stored));
  }

  private async run(stored: StoredDelivery): Promise<void> {
    const d = stored.delivery;
    const log = this.o.log.child({ agent: d.agentId, delivery: d.id });
    try {
      if (d.kind === 'invite') await this.o.matrix.join(d.agentId, d.roomId);
      else if (d.kind === 'leave') await this.o.matrix.leave(d.agentId, d.roomId);
      else {
        const outcome = await this.answer(stored, log);
        if (outcome !== 'done') {
          this.o.store.finish(stored.seq, 'skipped', outcome);
          return;
        }
      }
      this.o.store.finish(stored.seq, 'done');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'delivery failed');
      this.o.store.finish(stored.seq, 'failed', (err as Error).message);
    } finally {
      this.o.onFinished?.(d.id);
    }
  }

  /** 'done', or why nothing was posted. */
  private async answer(stored: StoredDelivery, log: Logger): Promise<'done' | 'hop limit' | 'not in the directory' | 'agent stayed silent' | 'room reply budget'> {
    const d = stored.delivery;
    const { org, matrix } = this.o;
    const agent = org.get(d.agentId);
    if (!agent) return 'not in the directory';
    const content = d.event.content as Record<string, unknown>;
    const conversation = conversationOf(d.event);
    if (conversation.hop >= this.o.maxHops) {
      log.info({ hop: conversation.hop }, 'hop limit reached; not replying');
      return 'hop limit';
    }
    let reply = stored.reply;
    if (reply === null) {
      const body = typeof content.body === 'string' ? stripReplyFallback(content.body) : '';
      const text = body.length > this.o.maxInputChars
        ? `${body.slice(0, this.o.maxInputChars)}\n[message truncated: ${body.length} characters in all]`
        : body;
      const sender = org.get(d.event.sender);
      const slot = await this.o.limits?.acquireTurn({ agentId: d.agentId, roomId: d.roomId, senderIsHuman: sender ? sender.human : true });
      if (slot?.decision === 'skip') {
        log.info({ reason: slot.reason }, 'reply skipped: room reply budget used up by agents');
        return 'room reply budget';
      }
      // Typing costs the homeserver two requests; show it only when the turn takes long enough for a person to notice.
      let typing: Promise<void> | undefined;
      const typingTimer = setTimeout(() => { typing = matrix.typing(d.agentId, d.roomId, true); }, TYPING_AFTER_MS);
      let result: AgentTurnResult | undefined;
      try {
        result = await this.o.runtime.turn({
          agent, roomId: d.roomId, isDirect: d.room.isDirect, eventId: d.event.event_id, text,
          sender: { id: d.event.sender, name: sender?.name ?? d.event.sender, human: sender ? sender.human : true },
          conversation,
        });
      } catch (err) {
        log.error({ err: (err as Error).message }, 'agent turn failed; sending an apology');
      } finally {
        slot?.release(result ? { replied: !!result.reply } : {});
        clearTimeout(typingTimer);
        if (typing) await typing.then(() => matrix.typing(d.agentId, d.roomId, false));
      }
      if (result) {
        const cost = this.o.costOf?.(result.model, result.usage) ?? 0;
        this.o.store.addUsage(d.agentId, result.provider, result.model, result.usage.inputTokens, result.usage.outputTokens, cost);
      }
      reply = result ? (result.reply ?? '') : "Sorry, I can't answer right now: my model is unavailable. Please try again in a few minutes.";
      if (reply.length > this.o.maxReplyChars) reply = `${reply.slice(0, this.o.maxReplyChars)}… [reply truncated]`;
      this.o.store.saveReply(stored.seq, reply);
      if (!result) {
        await this.post(d, reply, conversation, 'm.notice');
        return 'done';
      }
    }
    if (reply === '') return 'agent stayed silent';
    await this.post(d, reply, conversation, 'm.text');
    return 'done';
  }

  /**
   * Where an answer goes. Normally: a reply to the message, mentioning its sender. But when a colleague answers a
   * question this agent asked on someone's behalf, the agent reports back to whoever started the conversation, in
   * that room; answering the colleague instead would only start another round of replies.
   */
  private target(d: Delivery, conv: ConversationRef): { roomId: string; eventId: string; mention: string } {
    const fromColleague = this.o.org.isAgent(d.event.sender) && d.event.sender !== d.agentId;
    const reportBack = fromColleague && d.replyToSender === d.agentId && conv.hop > 0 && conv.rootSender !== d.agentId && conv.rootEventId !== '';
    return reportBack
      ? { roomId: conv.rootRoomId, eventId: conv.rootEventId, mention: conv.rootSender }
      : { roomId: d.roomId, eventId: d.event.event_id, mention: d.event.sender };
  }

  private async post(d: Delivery, body: string, conv: ConversationRef, msgtype: 'm.text' | 'm.notice'): Promise<void> {
    const to = this.target(d, conv);
    await this.o.matrix.send(d.agentId, to.roomId, {
      msgtype,
      body,
      'm.relates_to': { 'm.in_reply_to': { event_id: to.eventId } },
      'm.mentions': { user_ids: [to.mention] },
      ...conversationFields(conv),
    }, replyTxnId(d.event.event_id, d.agentId));
  }
}
