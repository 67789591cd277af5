import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAICompatibleProvider } from '../../../src/providers/openai-compatible.ts';
import { ScriptedProvider } from '../../../src/providers/scripted/provider.ts';
import { startScriptedModelServer, type ScriptedModelServer } from '../../../src/providers/scripted/server.ts';
import { ProviderError } from '../../../src/providers/types.ts';

/** The scripted model's fault rules look, to the real client, like the failures of real providers. */
let server: ScriptedModelServer;
beforeAll(async () => {
  server = await startScriptedModelServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.setRules([]);
  server.clearRequests();
});

const ask = (retries = 0, timeoutMs = 5000) =>
  new OpenAICompatibleProvider({ baseUrl: server.url, model: 'scripted', timeoutMs, stream: true, retries, minRetryDelayMs: 10, maxRetryDelayMs: 20 })
    .complete({ messages: [{ role: 'user', content: 'hello' }], agentId: 'ada' });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: unknown) => err as ProviderError);

describe('scripted model fault rules', () => {
  it('429 carries Retry-After to the client as a throttle', async () => {
    server.setRules([{ fault: { status: 429, retryAfterSeconds: 2 } }]);
    const err = await failure(ask());
    expect(err).toBeInstanceOf(ProviderError);
    expect({ kind: err.kind, status: err.status, retryAfterMs: err.retryAfterMs }).toEqual({ kind: 'throttled', status: 429, retryAfterMs: 2000 });
  });

  it('a 500 used up by `times` is followed by a normal answer; every attempt is recorded with its fault', async () => {
    server.setRules([{ fault: { status: 500 }, times: 2 }]);
    const result = await ask(2);
    expect(result.text).toContain('You said');
    expect(server.requests().map((r) => (r.fault && 'status' in r.fault ? r.fault.status : 'ok'))).toEqual([500, 500, 'ok']);
  });

  it('hangMs outlasts the client timeout', async () => {
    server.setRules([{ fault: { hangMs: 10_000 } }]);
    const err = await failure(ask(0, 300));
    expect(err.kind).toBe('timeout');
  });

  it.each(['truncated', 'garbage'] as const)('a %s stream is an error, not half an answer', async (malformedStream) => {
    server.setRules([{ fault: { malformedStream } }]);
    const err = await failure(ask());
    expect(err).toBeInstanceOf(ProviderError);
  });

  it('the default behaviour is unchanged without a fault', async () => {
    server.setRules([{ match: 'hello', reply: 'hi {{agent}}' }]);
    expect((await ask()).text).toBe('hi ada');
    expect(server.requests()[0]!.fault).toBeUndefined();
  });

  it('in-process, a fault is the ProviderError the HTTP client would raise', async () => {
    const p = new ScriptedProvider({ rules: [{ fault: { status: 429, retryAfterSeconds: 1 } }] });
    const err = await failure(p.complete({ messages: [{ role: 'user', content: 'x' }] }));
    expect({ kind: err.kind, retryAfterMs: err.retryAfterMs }).toEqual({ kind: 'throttled', retryAfterMs: 1000 });
  });

  it('refuses a fault it cannot act out', () => {
    expect(() => server.setRules([{ fault: { status: 200 } }])).toThrow();
  });
});
