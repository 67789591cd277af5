import { describe, expect, it } from 'vitest';
import { ShardStore } from '../../../src/shard/store.ts';
import type { Delivery } from '../../../src/protocol/wire.ts';

const delivery = (id: string, agentId = '@a:x'): Delivery => ({
  id, kind: 'message', agentId, roomId: '!r:x', room: { isDirect: true },
  event: { event_id: `$${id}`, room_id: '!r:x', sender: '@h:x', type: 'm.room.message', content: { body: 'hi' } },
});
const turn = (id: string) => ({ at: Date.now(), deliveryId: id, agentId: '@a:x', senderId: '@h:x', roomId: '!r:x', eventId: `$${id}`,
  latencyMs: 5, provider: 'p', model: 'm', inputTokens: 10, outputTokens: 2, costUsd: 0.01, outcome: 'replied' as const });

describe('shard store', () => {
  it('accepts a delivery once; a redelivery is acknowledged but not queued again', () => {
    const store = new ShardStore(':memory:');
    expect(store.accept([delivery('1'), delivery('2')]).map((d) => d.delivery.id)).toEqual(['1', '2']);
    expect(store.accept([delivery('2'), delivery('3')]).map((d) => d.delivery.id)).toEqual(['3']);
    expect(store.pendingCounts().get('@a:x')).toBe(3);
    expect(store.nextFor('@a:x')!.delivery.id).toBe('1');
  });

  it('saves the reply with its usage and activity in one commit, and records why work was skipped', () => {
    const store = new ShardStore(':memory:');
    const [first, second] = store.accept([delivery('1'), delivery('2')]);
    store.saveTurn(first!.seq, 'the answer', { agentId: '@a:x', provider: 'p', model: 'm', inputTokens: 10, outputTokens: 2, costUsd: 0.01 }, turn('1'));
    expect(store.nextFor('@a:x')!.reply).toBe('the answer');
    expect(store.usage()[0]).toMatchObject({ agentId: '@a:x', turns: 1, inputTokens: 10 });
    expect(store.turnsSince(0, 10)).toHaveLength(1);
    store.finish(second!.seq, 'skipped', 'hop limit');
    expect(store.skipped('hop limit')).toBe(1);
    expect(store.state('2')).toBe('skipped');
  });

  it('takes back a released delivery when the router hands it here again, with the paid reply it carries', () => {
    const store = new ShardStore(':memory:');
    store.accept([delivery('1')]);
    expect(store.releaseAgent('@a:x')).toEqual(['1']);
    expect(store.state('1')).toBe('released');
    const again = store.accept([{ ...delivery('1'), reply: 'paid' }]);
    expect(again.map((d) => [d.delivery.id, d.reply])).toEqual([['1', 'paid']]);
    expect(store.state('1')).toBe('pending');
  });

  it('keeps outcomes until the router has them, survives a reopen, and prunes only what the router knows', () => {
    const dir = `/tmp/shard-store-${process.pid}-${Date.now()}.sqlite`;
    let store = new ShardStore(dir);
    const [d] = store.accept([delivery('1')]);
    store.finish(d!.seq, 'done');
    store.close();
    store = new ShardStore(dir);
    expect(store.unreported().map((r) => r.id)).toEqual(['1']);
    store.prune(0, Date.now() + 1000);
    expect(store.state('1')).toBe('done'); // not reported yet: kept
    store.markReported(['1']);
    store.prune(0, Date.now() + 1000);
    expect(store.state('1')).toBeUndefined();
    store.close();
  });

  it('adds up tokens and estimated cost per agent and provider', () => {
    const store = new ShardStore(':memory:');
    store.addUsage('@a:x', 'bedrock:us-east-1', 'claude', 1000, 200, 0.006);
    store.addUsage('@a:x', 'bedrock:us-east-1', 'claude', 500, 100, 0.003);
    store.addUsage('@b:x', 'scripted', 'scripted', 10, 5);
    const [top, other] = store.usage();
    expect(top).toMatchObject({ agentId: '@a:x', inputTokens: 1500, outputTokens: 300, turns: 2 });
    expect(top!.costUsd).toBeCloseTo(0.009);
    expect(other).toMatchObject({ agentId: '@b:x', turns: 1, costUsd: 0 });
  });
});
