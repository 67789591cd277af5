import { describe, expect, it } from 'vitest';
import { limitsSchema, providerLimitsFor } from '../../../src/shard/limits/config.ts';
import { rateLimited } from '../../../src/shard/limits/index.ts';
import type { ModelProvider } from '../../../src/providers/types.ts';

describe('limits config', () => {
  it('fills in defaults for an empty section', () => {
    expect(limitsSchema.parse({})).toEqual({
      shardConcurrentTurns: 32, agentTurnsPerMinute: 6, roomRepliesPerMinute: 20, humanFloorPerMinute: 10,
      providers: { concurrency: 16 },
    });
  });

  it('rejects misspelt keys and nonsense values rather than ignoring them', () => {
    expect(limitsSchema.safeParse({ agentTurnPerMinute: 3 }).success).toBe(false);
    expect(limitsSchema.safeParse({ providers: { rpm: 0 } }).success).toBe(false);
    expect(limitsSchema.safeParse({ roomRepliesPerMinute: 2.5 }).success).toBe(false);
  });

  it('overlays a provider\'s own caps on the shard-wide ones', () => {
    const limits = limitsSchema.parse({
      providers: { rpm: 100, concurrency: 8 },
      byProvider: { 'bedrock:us-east-1': { tpm: 200_000, concurrency: 4 } },
    });
    expect(providerLimitsFor(limits, 'bedrock:us-east-1')).toEqual({ rpm: 100, tpm: 200_000, concurrency: 4 });
    expect(providerLimitsFor(limits, 'scripted')).toEqual({ rpm: 100, concurrency: 8 });
    const inner: ModelProvider = { id: 'bedrock:us-east-1', model: 'm', complete: () => Promise.reject(new Error('unused')) };
    const wrapped = rateLimited(inner, limits);
    expect(wrapped).toMatchObject({ id: 'bedrock:us-east-1', model: 'm', inner });
  });
});
