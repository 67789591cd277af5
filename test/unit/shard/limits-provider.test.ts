import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimitedProvider } from '../../../src/shard/limits/provider-limiter.ts';
import {
  ProviderError, type CompletionRequest, type CompletionResult, type ModelProvider,
} from '../../../src/providers/types.ts';

interface Call { agentId: string | undefined; at: number }

/** A provider that records when each call reached it and answers with what `behave` decides. */
function fakeProvider(behave: (call: Call, n: number) => CompletionResult | ProviderError = () => ok()): ModelProvider & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    id: 'fake', model: 'fake-model', calls,
    async complete(req: CompletionRequest) {
      const call = { agentId: req.agentId, at: Date.now() };
      calls.push(call);
      const out = behave(call, calls.length);
      if (out instanceof ProviderError) throw out;
      return out;
    },
  };
}

function ok(inputTokens = 10, outputTokens = 10): CompletionResult {
  return { text: 'ok', toolCalls: [], usage: { inputTokens, outputTokens }, stopReason: 'end' };
}

const throttled = (retryAfterMs?: number) => new ProviderError('429', {
  kind: 'throttled', provider: 'fake', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
});

const ask = (agentId: string, chars = 40): CompletionRequest => ({ agentId, messages: [{ role: 'user', content: 'x'.repeat(chars) }] });

describe('RateLimitedProvider', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('pauses every agent\'s calls when one is throttled, then retries the throttled call first', async () => {
    const inner = fakeProvider((_call, n) => (n === 1 ? throttled(5000) : ok()));
    const limited = new RateLimitedProvider(inner, { concurrency: 4 });
    const t0 = Date.now();

    const a = limited.complete(ask('@a:x'));
    await vi.advanceTimersByTimeAsync(10);
    expect(limited.stats().pausedUntil).toBe(t0 + 5000);
    const b = limited.complete(ask('@b:x'));
    await vi.advanceTimersByTimeAsync(4000);
    expect(inner.calls).toHaveLength(1); // b is held back although it never got a 429
    expect(limited.stats()).toMatchObject({ queued: 2, running: 0 });

    await vi.advanceTimersByTimeAsync(1000);
    await expect(a).resolves.toMatchObject({ text: 'ok' });
    await expect(b).resolves.toMatchObject({ text: 'ok' });
    expect(inner.calls.map((c) => c.agentId)).toEqual(['@a:x', '@a:x', '@b:x']);
    for (const call of inner.calls.slice(1)) expect(call.at - t0).toBeGreaterThanOrEqual(5000);
    expect(limited.stats().pausedUntil).toBeUndefined();
    expect(limited.stats().waitedMsMax).toBeGreaterThanOrEqual(4990);
  });

  it('spreads calls over windows to stay under rpm', async () => {
    const inner = fakeProvider();
    const limited = new RateLimitedProvider(inner, { rpm: 2, windowMs: 1000 });
    const all = Promise.all(Array.from({ length: 5 }, (_, i) => limited.complete(ask(`@${i}:x`))));
    await vi.advanceTimersByTimeAsync(10);
    expect(inner.calls).toHaveLength(2);
    expect(limited.stats()).toMatchObject({ rpmUsed: 2, queued: 3 });
    await vi.advanceTimersByTimeAsync(3000);
    await all;
    const times = inner.calls.map((c) => c.at);
    expect(times).toHaveLength(5);
    // No more than two starts in any window of 1000 ms.
    for (let i = 0; i + 2 < times.length; i++) expect(times[i + 2]! - times[i]!).toBeGreaterThanOrEqual(1000);
  });

  it('waits when the token window is full, counting real usage instead of the estimate', async () => {
    // Each request is estimated at 500 input + 100 output tokens; tpm 1000 fits one such estimate at a time.
    const big = () => ask('@a:x', 2000);
    const frugal = fakeProvider(() => ok(50, 50));
    const corrected = new RateLimitedProvider(frugal, { tpm: 1000, windowMs: 1000, outputTokensEstimate: 100 });
    await corrected.complete(big());
    expect(corrected.stats().tpmUsed).toBe(100);
    await corrected.complete(big()); // 100 real + 600 estimated fits
    expect(frugal.calls.map((c) => c.at)).toEqual([Date.now(), Date.now()]);

    const hungry = fakeProvider(() => ok(500, 100));
    const limited = new RateLimitedProvider(hungry, { tpm: 1000, windowMs: 1000, outputTokensEstimate: 100 });
    const t0 = Date.now();
    await limited.complete(big());
    const second = limited.complete(big());
    await vi.advanceTimersByTimeAsync(999);
    expect(hungry.calls).toHaveLength(1);
    expect(limited.stats()).toMatchObject({ tpmUsed: 600, queued: 1 });
    await vi.advanceTimersByTimeAsync(10);
    await second;
    expect(hungry.calls[1]!.at - t0).toBeGreaterThanOrEqual(1000);
  });

  it('passes other failures straight through, and gives up on a pause longer than it will wait', async () => {
    const broken = fakeProvider(() => new ProviderError('bad', { kind: 'bad_request', provider: 'fake' }));
    await expect(new RateLimitedProvider(broken).complete(ask('@a:x'))).rejects.toMatchObject({ kind: 'bad_request' });
    expect(broken.calls).toHaveLength(1);

    const closed = fakeProvider(() => throttled(600_000));
    const limited = new RateLimitedProvider(closed, { maxPauseMs: 60_000 });
    await expect(limited.complete(ask('@a:x'))).rejects.toMatchObject({ kind: 'throttled', retryAfterMs: 600_000 });
    // Another agent's call fails at once rather than sitting out ten minutes, and never reaches the server.
    await expect(limited.complete(ask('@b:x'))).rejects.toMatchObject({ kind: 'throttled' });
    expect(closed.calls).toHaveLength(1);
  });
});
