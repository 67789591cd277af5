import { describe, expect, it } from 'vitest';
import { shardRegistry } from '../../../src/metrics/metrics.ts';
import { ProviderError, type CompletionRequest, type CompletionResult, type ModelProvider } from '../../../src/providers/types.ts';
import { RateLimitedProvider } from '../../../src/shard/limits/index.ts';

describe('provider 429s', () => {
  it('are counted by provider, each refused attempt once, while the limiter retries them', async () => {
    let calls = 0;
    const inner: ModelProvider = {
      id: 'vendor-x', model: 'm',
      async complete(_req: CompletionRequest): Promise<CompletionResult> {
        if (calls++ < 2) throw new ProviderError('slow down', { kind: 'throttled', provider: 'vendor-x', status: 429, retryAfterMs: 5 });
        return { text: 'ok', usage: { inputTokens: 1, outputTokens: 1 } } as unknown as CompletionResult;
      },
    };
    const provider = new RateLimitedProvider(inner, { defaultThrottlePauseMs: 5 });
    await provider.complete({ messages: [], agentId: '@a:x' } as unknown as CompletionRequest);
    const text = await shardRegistry.metrics();
    expect(text).toMatch(/^fleet_shard_provider_throttled_total\{provider="vendor-x"\} 2$/m);
  });
});
