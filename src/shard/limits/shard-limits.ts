import PQueue from 'p-queue';
import { componentLogger, type Logger } from '../../log.ts';
import { limitsSchema, type Limits, type LimitsInput } from './config.ts';
import { RecentWaits, SlidingWindow, sleep, type WindowEntry } from './window.ts';

export interface TurnRequest {
  agentId: string;
  roomId: string;
  /** Whether the message being answered came from a person (not an agent). */
  senderIsHuman: boolean;
  signal?: AbortSignal;
}

export interface TurnSlot {
  decision: 'run' | 'skip';
  /** Why a turn was skipped. */
  reason?: string;
  waitedMs: number;
  /**
   * Call once the turn is over (also after 'skip', where it does nothing). `replied: false` gives the room its reply
   * back when the agent chose to stay silent.
   */
  release(outcome?: { replied?: boolean }): void;
}

export interface WaitingStats { waiting: number; oldestWaitMs: number }

export interface ShardLimitsStats {
  /** Turns holding one of the shard's concurrent-turn slots. */
  running: number;
  /** Turns past the rate rules, waiting for a slot. */
  queued: number;
  /** Agents with turns waiting for their per-minute cap or their room, and how long the oldest has waited. */
  agents: Record<string, WaitingStats & { turnsInWindow: number }>;
  /** Rooms with turns waiting or whose reply budget is used up. */
  rooms: Record<string, WaitingStats & { repliesInWindow: number; humanRepliesInWindow: number }>;
  /** Agent-triggered replies skipped over room budgets since start. */
  skipped: number;
  waitedMsP50: number;
  waitedMsMax: number;
}

export interface ShardLimitsOptions {
  limits?: LimitsInput;
  /** Default 60 000; tests shrink it. */
  windowMs?: number;
  log?: Logger;
}

interface RoomWindows { all: SlidingWindow; human: SlidingWindow }
interface CountedIn { window: SlidingWindow; entry: WindowEntry }
/** Where a turn was counted: its agent's turns, and its room's replies (all, and to people). */
interface Counted { agent: CountedIn; room: CountedIn[] }

type Verdict = { kind: 'run' } | { kind: 'skip'; reason: string } | { kind: 'wait'; ms: number };

const SLOW_WAIT_MS = 1000;

/**
 * The shard's brakes on its agents, so one busy room or a loop of agents answering agents cannot take every model
 * call: a cap on turns running at once, a cap on each agent's turns per minute (late turns wait), and a reply budget
 * per room per minute. Over a room's budget, replies to agents are skipped — that is what ends a runaway
 * conversation — while replies to people only wait, and the first `humanFloorPerMinute` of them per room go ahead
 * regardless of the agent and room caps, so people are heard even in a room agents have flooded.
 */
export class ShardLimits {
  readonly limits: Limits;
  readonly #windowMs: number;
  readonly #log: Logger;
  readonly #turns: PQueue;
  readonly #agentWindows = new Map<string, SlidingWindow>();
  readonly #roomWindows = new Map<string, RoomWindows>();
  /** Start times of turns still in the rate phase, per agent and per room, for stats. */
  readonly #agentWaiting = new Map<string, Set<number>>();
  readonly #roomWaiting = new Map<string, Set<number>>();
  readonly #waits = new RecentWaits();
  #skipped = 0;
  #lastSweep = Date.now();

  constructor(opts: ShardLimitsOptions = {}) {
    this.limits = limitsSchema.parse(opts.limits ?? {});
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#log = opts.log ?? componentLogger('limits');
    this.#turns = new PQueue({ concurrency: this.limits.shardConcurrentTurns });
  }

  async acquireTurn(req: TurnRequest): Promise<TurnSlot> {
    const startedAt = Date.now();
    const waitToken = { agent: this.#enter(this.#agentWaiting, req.agentId, startedAt), room: this.#enter(this.#roomWaiting, req.roomId, startedAt) };
    let counted: Counted;
    try {
      for (;;) {
        const now = Date.now();
        const verdict = this.#verdict(req, now);
        if (verdict.kind === 'skip') {
          this.#skipped++;
          const waitedMs = now - startedAt;
          this.#log.info({ agentId: req.agentId, roomId: req.roomId, reason: verdict.reason, waitedMs }, 'reply skipped');
          return { decision: 'skip', reason: verdict.reason, waitedMs, release: () => undefined };
        }
        if (verdict.kind === 'run') {
          counted = this.#record(req, now);
          break;
        }
        await sleep(verdict.ms, req.signal);
      }
    } finally {
      waitToken.agent();
      waitToken.room();
    }
    let release: () => void;
    try {
      release = await this.#takeSlot(req);
    } catch (err) {
      for (const { window, entry } of [counted.agent, ...counted.room]) window.remove(entry);
      throw err;
    }
    const waitedMs = Date.now() - startedAt;
    this.#waits.add(waitedMs);
    if (waitedMs > SLOW_WAIT_MS) {
      this.#log.info({ agentId: req.agentId, roomId: req.roomId, human: req.senderIsHuman, waitedMs }, 'turn waited for shard limits');
    }
    let released = false;
    return {
      decision: 'run',
      waitedMs,
      release: (outcome) => {
        if (released) return;
        released = true;
        release();
        if (outcome?.replied === false) {
          for (const { window, entry } of counted.room) window.remove(entry);
        }
      },
    };
  }

  stats(): ShardLimitsStats {
    const now = Date.now();
    const agents: ShardLimitsStats['agents'] = {};
    for (const [agentId, starts] of this.#agentWaiting) {
      agents[agentId] = { ...waiting(starts, now), turnsInWindow: this.#agentWindows.get(agentId)?.total(now) ?? 0 };
    }
    const rooms: ShardLimitsStats['rooms'] = {};
    const roomIds = new Set(this.#roomWaiting.keys());
    for (const [roomId, w] of this.#roomWindows) if (w.all.total(now) >= this.limits.roomRepliesPerMinute) roomIds.add(roomId);
    for (const roomId of roomIds) {
      const w = this.#roomWindows.get(roomId);
      rooms[roomId] = {
        ...waiting(this.#roomWaiting.get(roomId) ?? new Set(), now),
        repliesInWindow: w?.all.total(now) ?? 0,
        humanRepliesInWindow: w?.human.total(now) ?? 0,
      };
    }
    return {
      running: this.#turns.pending,
      queued: this.#turns.size,
      agents,
      rooms,
      skipped: this.#skipped,
      waitedMsP50: this.#waits.p50(),
      waitedMsMax: this.#waits.max(),
    };
  }

  #verdict(req: TurnRequest, now: number): Verdict {
    const { agentTurnsPerMinute, roomRepliesPerMinute, humanFloorPerMinute } = this.limits;
    const agent = this.#agentWindows.get(req.agentId);
    const room = this.#roomWindows.get(req.roomId);
    const agentMs = agent?.msUntilFits(now, agentTurnsPerMinute) ?? 0;
    const roomMs = room?.all.msUntilFits(now, roomRepliesPerMinute) ?? 0;
    if (!req.senderIsHuman) {
      if (roomMs > 0) return { kind: 'skip', reason: `room reply budget of ${roomRepliesPerMinute} per minute is used up` };
      return agentMs > 0 ? { kind: 'wait', ms: agentMs } : { kind: 'run' };
    }
    const floorMs = humanFloorPerMinute === 0 ? Infinity : (room?.human.msUntilFits(now, humanFloorPerMinute) ?? 0);
    if (floorMs === 0) return { kind: 'run' };
    const capsMs = Math.max(agentMs, roomMs);
    if (capsMs === 0) return { kind: 'run' };
    return { kind: 'wait', ms: Math.min(floorMs, capsMs) };
  }

  /** Counts the turn in every window it is subject to; returns the entries so they can be taken back. */
  #record(req: TurnRequest, now: number): Counted {
    this.#sweep(now);
    let agent = this.#agentWindows.get(req.agentId);
    if (!agent) this.#agentWindows.set(req.agentId, agent = new SlidingWindow(this.#windowMs));
    let room = this.#roomWindows.get(req.roomId);
    if (!room) this.#roomWindows.set(req.roomId, room = { all: new SlidingWindow(this.#windowMs), human: new SlidingWindow(this.#windowMs) });
    const roomWindows = req.senderIsHuman ? [room.all, room.human] : [room.all];
    return {
      agent: { window: agent, entry: agent.add(now) },
      room: roomWindows.map((window) => ({ window, entry: window.add(now) })),
    };
  }

  /** Holds one of the shard's concurrent-turn slots until the returned function is called; people go first. */
  #takeSlot(req: TurnRequest): Promise<() => void> {
    return new Promise((resolve, reject) => {
      this.#turns.add(
        () => new Promise<void>((done) => resolve(done)),
        { priority: req.senderIsHuman ? 1 : 0, ...(req.signal ? { signal: req.signal } : {}) },
      ).catch(reject);
    });
  }

  #enter(map: Map<string, Set<number>>, key: string, startedAt: number): () => void {
    let starts = map.get(key);
    if (!starts) map.set(key, starts = new Set());
    // Two turns may start in the same millisecond; a unique fractional key keeps both counted.
    let token = startedAt;
    while (starts.has(token)) token += 1e-6;
    starts.add(token);
    return () => {
      starts.delete(token);
      if (starts.size === 0 && map.get(key) === starts) map.delete(key);
    };
  }

  /** Forgets windows that emptied, so a shard's memory does not grow with every room it ever saw. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#windowMs) return;
    this.#lastSweep = now;
    for (const [id, w] of this.#agentWindows) if (w.isEmpty(now)) this.#agentWindows.delete(id);
    for (const [id, w] of this.#roomWindows) if (w.all.isEmpty(now) && w.human.isEmpty(now)) this.#roomWindows.delete(id);
  }
}

function waiting(starts: Set<number>, now: number): WaitingStats {
  let oldest = now;
  for (const s of starts) oldest = Math.min(oldest, s);
  return { waiting: starts.size, oldestWaitMs: Math.round(now - oldest) };
}
