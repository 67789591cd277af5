import { describe, expect, it } from 'vitest';
import { ShardStore } from '../../../src/shard/store.ts';
import type { Delivery } from '../../../src/shard/protocol.ts';

const delivery = (id: string, agentId = '@a:x'): Delivery => ({
  id, kind: 'message', agentId, roomId: '!r:x', room: { isDirect: true, members: [] },
  event: { event_id: `$${id}`, room_id: '!r:x', sender: '@h:x', type: 'm.room.message', content: { body: 'hi' } },
});

describe('shard store', () => {
  it('accepts a delivery once; a redelivery is acknowledged but not queued again', () => {
    const store = new ShardStore(':memory:');
    expect(store.accept([delivery('1'), delivery('2')]).map((d) => d.delivery.id)).toEqual(['1', '2']);
    expect(store.accept([delivery('2'), delivery('3')]).map((d) => d.delivery.id)).toEqual(['3']);
    expect(store.pending().map((d) => d.delivery.id)).toEqual(['1', '2', '3']);
  });

  it('keeps a decided reply so a retry posts the same text, and records why work was skipped', () => {
    const store = new ShardStore(':memory:');
    const [first, second] = store.accept([delivery('1'), delivery('2')]);
    store.saveReply(first!.seq, 'the answer');
    expect(store.pending()[0]!.reply).toBe('the answer');
    store.finish(second!.seq, 'skipped', 'hop limit');
    expect(store.skipped('hop limit')).toBe(1);
    expect(store.state('2')).toBe('skipped');
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
