import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentRuntime, AgentTurnResult, ConversationRef } from '../agents/runtime.ts';
import type { Logger } from '../log.ts';
import { observeTurn } from '../metrics/metrics.ts';
import { describeError, isRetryable } from '../matrix/errors.ts';
import { replyTxnId, type AgentMatrix } from '../matrix/agent-actions.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { stripReplyFallback } from '../matrix/reply-fallback.ts';
import { conversationFields, conversationOf } from './conversation.ts';
import { encryptedRoomNotice, invitedToEncryptedRoom } from './encrypted-rooms.ts';
import type { Delivery } from '../protocol/wire.ts';
import type { ShardLimits } from './limits/shard-limits.ts';
import type { FinalState, ShardStore, StoredDelivery, TurnRow } from './store.ts';

const TYPING_AFTER_MS = 300;
const APOLOGY = "Sorry, I can't answer right now: my model is unavailable. Please try again in a few minutes.";

/** What the host needs of the router: one agent, one shard at a time (see router-link.ts). */
export interface WorkGate {
  claim(deliveryId: string, signal?: AbortSignal): Promise<'granted' | 'done' | 'moved' | 'superseded'>;
  holds(deliveryId: string): boolean;
  remainingMs(deliveryId: string): number;
  forget(deliveryId: string): void;
  owns(agentId: string): boolean;
  reportSoon(): void;
  /** The router said, granting the claim, that the agent is over budget: no model call (budget/budgets.ts). */
  overBudget?(deliveryId: string): boolean;
}

/** A gate for a shard alone (tests, benchmarks): every claim is granted. */
export const OPEN_GATE: WorkGate = {
  claim: async () => 'granted', holds: () => true, remainingMs: () => Number.MAX_SAFE_INTEGER, forget() {}, owns: () => true, reportSoon() {},
};

export interface AgentHostOptions {
  shardId?: string;
  org: OrgDirectory;
  store: ShardStore;
  matrix: AgentMatrix;
  runtime: AgentRuntime;
  log: Logger;
  gate?: WorkGate;
  /** Agents stop auto-replying when a message has travelled this many agent hops. */
  maxHops: number;
  maxInputChars: number;
  maxReplyChars: number;
  /** A turn taking longer is aborted and answered with an apology. Default 120 s. */
  turnTimeoutMs?: number;
  /** How long a homeserver action (a paid reply above all) keeps being retried before it is given up. Default 6 h. */
  retryHorizonMs?: number;
  /** First wait after a failed homeserver action; doubles up to 30 s. Default 1 s. */
  retryBaseMs?: number;
  /** Shard-wide turn slots, per-agent turns per minute and per-room reply budgets. */
  limits?: ShardLimits;
  /** Estimated USD cost of a model call (price table from config); undefined when the model has no price. */
  costOf?: (model: string, usage: { inputTokens: number; outputTokens: number }) => number | undefined;
}

/** Why a delivery ended without (or with) a post; the state it ends in. */
type Outcome = { state: FinalState; note?: string };

class Lost extends Error {}

/**
 * Runs each hosted agent's work in order, one delivery at a time per agent, across agents in parallel. Work comes
 * from the shard's store (nothing is queued in memory), so what was accepted before a crash is picked up again,
 * and a backlog costs disk, not heap. Every step is idempotent by (event, agent): the reply is saved with the turn's
 * usage before anything is posted, the post uses a transaction id derived from (event, agent), and each step
 * runs only under the router's claim, so a second shard never does the same work.
 */
export class AgentHost {
  private readonly o: AgentHostOptions & { gate: WorkGate; turnTimeoutMs: number; retryHorizonMs: number; retryBaseMs: number };
  private readonly runners = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private draining = false;

  constructor(opts: AgentHostOptions) {
    this.o = { gate: OPEN_GATE, turnTimeoutMs: 120_000, retryHorizonMs: 6 * 3600_000, retryBaseMs: 1000, ...opts };
  }

  /** Persists, then wakes the agents; returns the ids the router may consider handed over (repeats included). */
  accept(deliveries: Delivery[]): string[] {
    const fresh = this.o.store.accept(deliveries);
    const freshIds = new Set(fresh.map((f) => f.delivery.id));
    let repeats = false;
    for (const d of deliveries) {
      // A repeat of something finished here: the router did not get our report, so it is sent again.
      if (!freshIds.has(d.id) && this.o.store.reReport(d.id)) repeats = true;
    }
    if (repeats) this.o.gate.reportSoon();
    for (const agentId of new Set(fresh.map((f) => f.delivery.agentId))) this.wake(agentId);
    return deliveries.map((d) => d.id);
  }

  resumePending(): number {
    const agents = this.o.store.agentsWithPending();
    for (const a of agents) this.wake(a);
    return agents.length;
  }

  /** The placement changed: agents this shard lost give their waiting work back (a running turn finishes). */
  placementChanged(): void {
    for (const agentId of this.o.store.agentsWithPending()) if (!this.runners.has(agentId)) this.wake(agentId);
  }

  /** Waits until no agent has work running (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.runners.size > 0) await Promise.all([...this.runners.values()]);
  }

  queueDepths(): Record<string, number> {
    return Object.fromEntries(this.o.store.pendingCounts());
  }

  /**
   * Orderly stop: no new turns; running ones get until `deadlineMs` to finish, then are aborted; everything still
   * waiting is given back (with a paid reply carried along) for the agents' next shard.
   */
  async drain(deadlineMs: number): Promise<void> {
    this.draining = true;
    const timer = setTimeout(() => this.stopping.abort(new Error('shard stopping')), deadlineMs);
    await Promise.all([...this.runners.values()]);
    clearTimeout(timer);
    for (const agentId of this.o.store.agentsWithPending()) this.o.store.releaseAgent(agentId);
  }

  private wake(agentId: string): void {
    if (this.runners.has(agentId) || this.draining) return;
    const runner = this.drainAgent(agentId).finally(() => {
      this.runners.delete(agentId);
      if (!this.draining && this.o.store.nextFor(agentId) && this.o.gate.owns(agentId)) this.wake(agentId);
    });
    this.runners.set(agentId, runner);
  }

  private async drainAgent(agentId: string): Promise<void> {
    while (!this.draining) {
      if (!this.o.gate.owns(agentId)) {
        const released = this.o.store.releaseAgent(agentId);
        if (released.length > 0) {
          this.o.log.info({ agent: agentId, released: released.length }, 'agent moved to another shard; its waiting work goes back to the router');
          this.o.gate.reportSoon();
        }
        return;
      }
      const next = this.o.store.nextFor(agentId);
      if (!next) return;
      await this.run(next);
    }
  }

  private async run(stored: StoredDelivery): Promise<void> {
    const d = stored.delivery;
    const log = this.o.log.child({ agent: d.agentId, delivery: d.id });
    let outcome: Outcome | undefined;
    try {
      outcome = await this.perform(stored, log);
    } catch (err) {
      if (this.stopping.signal.aborted) return; // left pending: given back by drain()
      if (err instanceof Lost) outcome = { state: 'released', note: err.message };
      else {
        log.error({ err: describeError(err) }, 'delivery failed');
        outcome = { state: 'failed', note: describeError(err) };
      }
    } finally {
      this.o.gate.forget(d.id);
    }
    if (outcome) {
      this.o.store.finish(stored.seq, outcome.state, outcome.note);
      this.o.gate.reportSoon();
    }
  }

  /** Takes (or re-takes) the router's claim on the delivery; throws Lost when another shard has it now. */
  private async ensureClaim(d: Delivery): Promise<void> {
    if (this.o.gate.holds(d.id)) return;
    const verdict = await this.o.gate.claim(d.id, this.stopping.signal);
    if (verdict !== 'granted') throw new Lost(`claim refused: ${verdict}`);
  }

  private async perform(stored: StoredDelivery, log: Logger): Promise<Outcome> {
    const d = stored.delivery;
    await this.ensureClaim(d);
    if (d.kind === 'invite') {
      await this.homeserver(stored, () => this.o.matrix.join(d.agentId, d.roomId));
      if (invitedToEncryptedRoom(d.event)) {
        await this.homeserver(stored, () => this.o.matrix.send(d.agentId, d.roomId, encryptedRoomNotice(), replyTxnId(`enc:${d.roomId}`, d.agentId)));
      }
      return { state: 'done' };
    }
    if (d.kind === 'leave') {
      await this.homeserver(stored, () => this.o.matrix.leave(d.agentId, d.roomId));
      return { state: 'done' };
    }
    if (d.joinFirst) await this.homeserver(stored, () => this.o.matrix.join(d.agentId, d.roomId));
    return this.answer(stored, log);
  }

  /**
   * A homeserver action, retried through outages for as long as the retry horizon allows, each attempt under a
   * live claim. Errors that a retry cannot fix (forbidden, not found) end it at once.
   */
  private async homeserver<T>(stored: StoredDelivery, action: () => Promise<T>): Promise<T> {
    const firstFailure = Date.now();
    for (let wait = this.o.retryBaseMs; ; wait = Math.min(wait * 2, 30_000)) {
      await this.ensureClaim(stored.delivery);
      try {
        return await action();
      } catch (err) {
        if (!isRetryable(err)) throw err;
        if (Date.now() - firstFailure > this.o.retryHorizonMs) {
          throw new Error(`homeserver unavailable for longer than the retry horizon (${Math.round(this.o.retryHorizonMs / 60_000)} min): ${describeError(err)}`);
        }
        this.o.store.attempted(stored.seq, describeError(err));
        this.o.log.warn({ agent: stored.delivery.agentId, delivery: stored.delivery.id, retryInMs: wait, err: describeError(err) },
          'homeserver unavailable; will retry');
        await sleep(wait, undefined, { signal: this.stopping.signal });
      }
    }
  }

  private async answer(stored: StoredDelivery, log: Logger): Promise<Outcome> {
    const d = stored.delivery;
    const { org } = this.o;
    const agent = org.get(d.agentId);
    if (!agent) return { state: 'skipped', note: 'not in the directory' };
    const conversation = conversationOf(d.event, org);
    if (conversation.hop >= this.o.maxHops) {
      log.info({ hop: conversation.hop }, 'hop limit reached; not replying');
      return { state: 'skipped', note: 'hop limit' };
    }
    let reply = stored.reply;
    let apology = false;
    if (reply === null) {
      const turn = await this.turn(stored, conversation, log);
      if (turn === 'skipped' || turn === 'over budget') return { state: 'skipped', note: turn === 'skipped' ? 'room reply budget' : turn };
      reply = turn.reply;
      apology = turn.apology;
    } else {
      log.info('posting the reply saved before a restart or outage; the model is not asked again');
    }
    if (reply === '') return { state: 'skipped', note: 'agent stayed silent' };
    await this.homeserver(stored, () => this.post(d, reply, conversation, apology ? 'm.notice' : 'm.text'));
    return { state: 'done' };
  }

  /** The agent's turn: one model call (with tools), saved with its usage before anything is posted. */
  private async turn(stored: StoredDelivery, conversation: ConversationRef, log: Logger): Promise<{ reply: string; apology: boolean } | 'skipped' | 'over budget'> {
    const d = stored.delivery;
    const { org, matrix } = this.o;
    const agent = org.get(d.agentId)!;
    const content = (d.event.content ?? {}) as Record<string, unknown>;
    const body = typeof content.body === 'string' ? stripReplyFallback(content.body) : '';
    const text = body.length > this.o.maxInputChars
      ? `${body.slice(0, this.o.maxInputChars)}\n[message truncated: ${body.length} characters in all]`
      : body;
    const sender = org.get(d.event.sender);
    const senderIsHuman = sender ? sender.human : true;
    const slot = await this.o.limits?.acquireTurn({ agentId: d.agentId, roomId: d.roomId, senderIsHuman });
    const base = { deliveryId: d.id, agentId: d.agentId, senderId: d.event.sender, roomId: d.roomId, eventId: d.event.event_id };
    if (slot?.decision === 'skip') {
      log.info({ reason: slot.reason }, 'reply skipped: room reply budget used up by agents');
      this.o.store.recordTurn({ ...base, at: Date.now(), latencyMs: 0, provider: '', model: '', inputTokens: 0, outputTokens: 0, costUsd: 0, outcome: 'skipped', error: 'room reply budget' });
      return 'skipped';
    }
    // The claim may have lapsed while waiting for a slot; the model is asked only under a live one.
    try {
      await this.ensureClaim(d);
    } catch (err) {
      slot?.release({});
      throw err;
    }
    if (this.o.gate.overBudget?.(d.id)) {
      slot?.release({});
      log.info('no model call: the router says this agent is over budget');
      return 'over budget';
    }
    // Typing costs the homeserver two requests; show it only when the turn takes long enough for a person to notice.
    let typing: Promise<void> | undefined;
    const typingTimer = setTimeout(() => { typing = matrix.typing(d.agentId, d.roomId, true); }, TYPING_AFTER_MS);
    const started = Date.now();
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(Math.max(1, Math.floor(Math.min(this.o.turnTimeoutMs, this.o.gate.remainingMs(d.id)))))]);
    let result: AgentTurnResult | undefined;
    let failure: string | undefined;
    try {
      result = await this.o.runtime.turn({
        agent, roomId: d.roomId, isDirect: d.room.isDirect, eventId: d.event.event_id, text,
        sender: { id: d.event.sender, name: sender?.name ?? d.event.sender, human: senderIsHuman },
        conversation, answersTo: this.target(d, conversation).mention,
      }, signal);
    } catch (err) {
      if (this.stopping.signal.aborted) throw err;
      failure = describeError(err);
      log.error({ err: failure }, 'agent turn failed; sending an apology');
    } finally {
      slot?.release(result ? { replied: !!result.reply } : {});
      clearTimeout(typingTimer);
      // The reply does not wait for "stopped typing": that request goes alongside the post, not before it.
      if (typing) void typing.then(() => matrix.typing(d.agentId, d.roomId, false));
    }
    let reply = result ? (result.reply ?? '') : APOLOGY;
    if (reply.length > this.o.maxReplyChars) reply = `${reply.slice(0, this.o.maxReplyChars)}… [reply truncated]`;
    const costUsd = result ? this.o.costOf?.(result.model, result.usage) ?? 0 : 0;
    const row: TurnRow = {
      ...base, at: started, latencyMs: Date.now() - started, provider: result?.provider ?? '', model: result?.model ?? '',
      inputTokens: result?.usage.inputTokens ?? 0, outputTokens: result?.usage.outputTokens ?? 0, costUsd,
      outcome: !result ? 'apology' : reply ? 'replied' : 'silent', ...(failure ? { error: failure } : {}),
    };
    observeTurn({ ...row, seconds: row.latencyMs / 1000 });
    this.o.store.saveTurn(stored.seq, reply, result ? {
      agentId: d.agentId, provider: result.provider, model: result.model,
      inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, costUsd,
    } : undefined, row);
    return { reply, apology: !result };
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
