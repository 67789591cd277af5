import { describe, expect, it } from 'vitest';
import { retryAfterMsFromHeaders, withProviderRetry } from '../../../src/providers/retry.ts';
import { ProviderError } from '../../../src/providers/types.ts';

describe('retryAfterMsFromHeaders', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  it('reads delta-seconds, HTTP dates and retry-after-ms', () => {
    expect(retryAfterMsFromHeaders(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMsFromHeaders(new Headers({ 'retry-after': 'Tue, 01 Jan 2030 00:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMsFromHeaders(new Headers({ 'retry-after': 'Mon, 31 Dec 2029 00:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMsFromHeaders(new Headers({ 'retry-after-ms': '150.5', 'retry-after': '9' }), now)).toBe(151);
    expect(retryAfterMsFromHeaders(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMsFromHeaders(new Headers(), now)).toBeUndefined();
  });
});

describe('withProviderRetry', () => {
  const throttled = (): ProviderError => new ProviderError('429', { kind: 'throttled', provider: 'test' });

  it('retries retryable provider errors until success', async () => {
    let calls = 0;
    const value = await withProviderRetry(async () => {
      if (++calls < 3) throw throttled();
      return 'ok';
    }, { retries: 5, minDelayMs: 1, maxDelayMs: 2 });
    expect(value).toBe('ok');
    expect(calls).toBe(3);
  });

  it('leaves throttling to the caller when asked (a shard limiter pauses everyone instead), still retrying outages', async () => {
    let calls = 0;
    await expect(withProviderRetry(async () => { calls++; throw throttled(); }, { retries: 5, minDelayMs: 1, throttledToCaller: true }))
      .rejects.toMatchObject({ kind: 'throttled' });
    expect(calls).toBe(1);
    calls = 0;
    const value = await withProviderRetry(async () => {
      if (++calls < 2) throw new ProviderError('503', { kind: 'unavailable', provider: 'test' });
      return 'ok';
    }, { retries: 5, minDelayMs: 1, maxDelayMs: 2, throttledToCaller: true });
    expect(value).toBe('ok');
  });

  it('does not retry non-retryable or foreign errors, and rethrows them unchanged', async () => {
    for (const error of [new ProviderError('no', { kind: 'auth', provider: 'test' }), new Error('bug')]) {
      let calls = 0;
      const thrown = await withProviderRetry(async () => {
        calls++;
        throw error;
      }, { retries: 5, minDelayMs: 1 }).catch((e: unknown) => e);
      expect(thrown).toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('gives up instead of waiting for an unreasonably long Retry-After', async () => {
    let calls = 0;
    const error = new ProviderError('429', { kind: 'throttled', provider: 'test', retryAfterMs: 3_600_000 });
    const thrown = await withProviderRetry(async () => {
      calls++;
      throw error;
    }, { retries: 5, minDelayMs: 1, maxRetryAfterMs: 60_000 }).catch((e: unknown) => e);
    expect(thrown).toBe(error);
    expect(calls).toBe(1);
  });

  it('stops waiting when the signal aborts during a Retry-After pause', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 30);
    const thrown = await withProviderRetry(async () => {
      throw new ProviderError('429', { kind: 'throttled', provider: 'test', retryAfterMs: 30_000 });
    }, { retries: 1, minDelayMs: 1, signal: controller.signal }).catch((e: unknown) => e);
    expect((thrown as Error).message).toBe('cancelled');
  });
});
