import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAICompatibleProvider } from '../../../src/providers/openai-compatible.ts';
import { ProviderError } from '../../../src/providers/types.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, attempt: number) => void;

const okBody = JSON.stringify({
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 },
});

let server: Server | undefined;
const hits: { at: number; auth: string | undefined }[] = [];

async function serve(handler: Handler): Promise<string> {
  hits.length = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push({ at: Date.now(), auth: req.headers.authorization });
      handler(req, res, hits.length);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

function provider(baseUrl: string, extra: Partial<ConstructorParameters<typeof OpenAICompatibleProvider>[0]> = {}): OpenAICompatibleProvider {
  return new OpenAICompatibleProvider({ baseUrl, model: 'm', timeoutMs: 5000, stream: false, retries: 3, minRetryDelayMs: 10, maxRetryDelayMs: 50, ...extra });
}
const req = { messages: [{ role: 'user' as const, content: 'hi' }] };

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('OpenAICompatibleProvider error mapping and retry', () => {
  it('waits at least Retry-After seconds after a 429, then succeeds', async () => {
    const url = await serve((_req, res, attempt) => {
      if (attempt === 1) res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":{"message":"slow down"}}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(okBody);
    });
    const res = await provider(url).complete(req);
    expect(res.text).toBe('ok');
    expect(res.usage).toEqual({ inputTokens: 11, outputTokens: 2 });
    expect(hits).toHaveLength(2);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('honours retry-after-ms too', async () => {
    const url = await serve((_req, res, attempt) => {
      if (attempt === 1) res.writeHead(429, { 'retry-after-ms': '300' }).end();
      else res.writeHead(200).end(okBody);
    });
    await provider(url).complete(req);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(300);
  });

  it('retries 500s and then fails as unavailable', async () => {
    const url = await serve((_req, res) => res.writeHead(500).end('boom'));
    const err = await failure(provider(url, { retries: 2 }).complete(req));
    expect(err).toMatchObject({ kind: 'unavailable', retryable: true, status: 500 });
    expect(hits).toHaveLength(3);
  });

  it('does not retry 401 and never puts the API key in the error', async () => {
    const url = await serve((_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}'));
    const err = await failure(provider(url, { apiKey: 'sk-secret-123' }).complete(req));
    expect(err).toMatchObject({ kind: 'auth', retryable: false, status: 401 });
    expect(err.message).toContain('bad key');
    expect(err.message).not.toContain('sk-secret-123');
    expect(hits).toEqual([expect.objectContaining({ auth: 'Bearer sk-secret-123' })]);
  });

  it('maps other 4xx to bad_request without retry', async () => {
    const url = await serve((_req, res) => res.writeHead(400).end('{"error":{"message":"context too long"}}'));
    const err = await failure(provider(url).complete(req));
    expect(err).toMatchObject({ kind: 'bad_request', retryable: false });
    expect(hits).toHaveLength(1);
  });

  it('maps a stalled server to timeout and retries it', async () => {
    const url = await serve(() => { /* never answers */ });
    const err = await failure(provider(url, { timeoutMs: 200, retries: 1 }).complete(req));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
    expect(hits).toHaveLength(2);
  });

  it('maps connection refused to unavailable', async () => {
    const url = await serve(() => {});
    server!.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const err = await failure(provider(url, { retries: 1 }).complete(req));
    expect(err).toMatchObject({ kind: 'unavailable', retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('stops at once when the caller aborts, with the caller reason', async () => {
    const url = await serve(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('agent stopped')), 50);
    const err = await provider(url, { timeoutMs: 5000 }).complete({ ...req, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('agent stopped');
    expect(hits).toHaveLength(1);
  });

  it('estimates usage as chars/4 when the server reports none, and assembles streamed tool-call deltas', async () => {
    const chunks = [
      { choices: [{ index: 0, delta: { role: 'assistant', content: 'Let me ' } }] },
      { choices: [{ index: 0, delta: { content: 'check.', tool_calls: [{ index: 1, id: 'b', function: { name: 'two', arguments: '{"n":' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'a', function: { name: 'one', arguments: '' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: '2}' } }, { index: 0, function: { arguments: '{}' } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ];
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join('') + 'data: [DONE]\n\n');
    });
    const res = await provider(url, { stream: true }).complete({ messages: [{ role: 'user', content: 'x'.repeat(10) }] });
    expect(res.text).toBe('Let me check.');
    expect(res.toolCalls).toEqual([{ id: 'a', name: 'one', arguments: {} }, { id: 'b', name: 'two', arguments: { n: 2 } }]);
    expect(res.stopReason).toBe('tool_use');
    expect(res.usage.inputTokens).toBe(3);
    expect(res.usage.outputTokens).toBe(Math.ceil(('Let me check.'.length + 'one{}'.length + 'two{"n":2}'.length) / 4));
  });

  it('treats a stream cut off before completion as unavailable', async () => {
    const url = await serve((_req, res, attempt) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (attempt === 1) res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'par' } }] })}\n\n`);
      else res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'full' }, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
    });
    const res = await provider(url, { stream: true }).complete(req);
    expect(res.text).toBe('full');
    expect(hits).toHaveLength(2);
  });
});
