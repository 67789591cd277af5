import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ShardLimits, type TurnSlot } from '../../../src/shard/limits/shard-limits.ts';
import type { LimitsInput } from '../../../src/shard/limits/config.ts';
import type { Logger } from '../../../src/log.ts';

const WINDOW = 1000;

function limitsWith(limits: LimitsInput, log?: Logger): ShardLimits {
  return new ShardLimits({ limits, windowMs: WINDOW, ...(log ? { log } : {}) });
}

/** Lets a promise be checked for "still waiting" without awaiting it. */
function track<T>(p: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false;
  void p.then(() => { done = true; }, () => { done = true; });
  return { settled: () => done, promise: p };
}

async function turn(limits: ShardLimits, agentId: string, roomId: string, senderIsHuman: boolean): Promise<TurnSlot> {
  const slot = await limits.acquireTurn({ agentId, roomId, senderIsHuman });
  slot.release();
  return slot;
}

describe('ShardLimits', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('makes an agent over its turns per minute wait for the window, without holding up other agents', async () => {
    const limits = limitsWith({ agentTurnsPerMinute: 2 });
    await turn(limits, '@a:x', '!r1:x', false);
    await turn(limits, '@a:x', '!r2:x', false);
    const third = track(turn(limits, '@a:x', '!r3:x', false));
    await vi.advanceTimersByTimeAsync(10);
    expect(third.settled()).toBe(false);
    expect(limits.stats().agents['@a:x']).toMatchObject({ waiting: 1, turnsInWindow: 2 });
    expect((await turn(limits, '@b:x', '!r1:x', false)).waitedMs).toBe(0);

    await vi.advanceTimersByTimeAsync(WINDOW);
    const slot = await third.promise;
    expect(slot.decision).toBe('run');
    expect(slot.waitedMs).toBeGreaterThanOrEqual(WINDOW - 10);
    expect(limits.stats().agents).toEqual({});
  });

  it('skips agent-triggered replies over a room budget but delays replies to people', async () => {
    const info = vi.fn();
    const log = { info, warn: vi.fn() } as unknown as Logger;
    const limits = limitsWith({ roomRepliesPerMinute: 3, humanFloorPerMinute: 0, agentTurnsPerMinute: 100 }, log);
    for (const agent of ['@a:x', '@b:x', '@c:x']) expect((await turn(limits, agent, '!r:x', false)).decision).toBe('run');

    const skipped = await turn(limits, '@d:x', '!r:x', false);
    expect(skipped).toMatchObject({ decision: 'skip', reason: expect.stringContaining('room reply budget') });
    expect(info).toHaveBeenCalledWith(expect.objectContaining({ agentId: '@d:x', roomId: '!r:x' }), 'reply skipped');
    expect((await turn(limits, '@d:x', '!other:x', false)).decision).toBe('run'); // budgets are per room

    const toHuman = track(turn(limits, '@d:x', '!r:x', true));
    await vi.advanceTimersByTimeAsync(WINDOW / 2);
    expect(toHuman.settled()).toBe(false);
    expect(limits.stats()).toMatchObject({ skipped: 1, rooms: { '!r:x': { waiting: 1, repliesInWindow: 3 } } });
    await vi.advanceTimersByTimeAsync(WINDOW / 2);
    expect(await toHuman.promise).toMatchObject({ decision: 'run' });
    expect((await toHuman.promise).waitedMs).toBeGreaterThanOrEqual(WINDOW - 10);
  });

  it('answers people up to the floor even when agents used the room budget and the agent its own cap', async () => {
    const limits = limitsWith({ roomRepliesPerMinute: 2, humanFloorPerMinute: 3, agentTurnsPerMinute: 2 });
    await turn(limits, '@a:x', '!r:x', false);
    await turn(limits, '@a:x', '!r:x', false);
    for (let i = 0; i < 3; i++) {
      const slot = await turn(limits, '@a:x', '!r:x', true);
      expect(slot).toMatchObject({ decision: 'run', waitedMs: 0 });
    }
    expect(limits.stats().rooms['!r:x']).toMatchObject({ repliesInWindow: 5, humanRepliesInWindow: 3 });
    // The floor is for people only: agents' replies in that room are still over budget.
    expect((await turn(limits, '@b:x', '!r:x', false)).decision).toBe('skip');

    const beyondFloor = track(turn(limits, '@a:x', '!r:x', true));
    await vi.advanceTimersByTimeAsync(WINDOW - 10);
    expect(beyondFloor.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(await beyondFloor.promise).toMatchObject({ decision: 'run' });
  });

  it('caps turns running at once across the shard and lets people go first', async () => {
    const limits = limitsWith({ shardConcurrentTurns: 1, agentTurnsPerMinute: 100, roomRepliesPerMinute: 100 });
    const first = await limits.acquireTurn({ agentId: '@a:x', roomId: '!r1:x', senderIsHuman: false });
    const order: string[] = [];
    const fromAgent = limits.acquireTurn({ agentId: '@b:x', roomId: '!r2:x', senderIsHuman: false }).then((s) => { order.push('agent'); return s; });
    const fromHuman = limits.acquireTurn({ agentId: '@c:x', roomId: '!r3:x', senderIsHuman: true }).then((s) => { order.push('human'); return s; });
    await vi.advanceTimersByTimeAsync(1500);
    expect(order).toEqual([]);
    expect(limits.stats()).toMatchObject({ running: 1, queued: 2 });

    first.release();
    const human = await fromHuman;
    expect(order).toEqual(['human']);
    expect(human.waitedMs).toBeGreaterThanOrEqual(1500);
    human.release();
    (await fromAgent).release();
    expect(order).toEqual(['human', 'agent']);
    await vi.advanceTimersByTimeAsync(0); // p-queue frees a slot a microtask after release
    expect(limits.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('gives a room its reply back when the agent stayed silent', async () => {
    const limits = limitsWith({ roomRepliesPerMinute: 1, humanFloorPerMinute: 0 });
    const silent = await limits.acquireTurn({ agentId: '@a:x', roomId: '!r:x', senderIsHuman: false });
    silent.release({ replied: false });
    expect((await turn(limits, '@b:x', '!r:x', false)).decision).toBe('run');
    expect((await turn(limits, '@c:x', '!r:x', false)).decision).toBe('skip');
  });

  it('stops waiting when the caller aborts', async () => {
    const limits = limitsWith({ agentTurnsPerMinute: 1 });
    await turn(limits, '@a:x', '!r:x', false);
    const abort = new AbortController();
    const waiting = limits.acquireTurn({ agentId: '@a:x', roomId: '!r:x', senderIsHuman: false, signal: abort.signal });
    abort.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    expect(limits.stats().agents).toEqual({});
  });
});
