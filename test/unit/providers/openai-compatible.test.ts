import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAICompatibleProvider } from '../../../src/providers/openai-compatible.ts';
import { startScriptedModelServer, type ScriptedModelServer } from '../../../src/providers/scripted/server.ts';
import type { ChatMessage, ToolSpec } from '../../../src/providers/types.ts';

const system = 'Name: Morgan Blake\nTitle: VP Engineering\nReports to: Alex Kim (Chief Executive Officer)\nDirect reports: 6';
const tools: ToolSpec[] = [{
  name: 'message_colleague',
  description: 'Send a message to a colleague and wait for the answer',
  parameters: { type: 'object', properties: { to: { type: 'string' }, text: { type: 'string' } }, required: ['to', 'text'] },
}];

let server: ScriptedModelServer;
beforeAll(async () => {
  server = await startScriptedModelServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.setRules([]);
  server.clearRequests();
});

function provider(stream: boolean): OpenAICompatibleProvider {
  return new OpenAICompatibleProvider({ baseUrl: server.url, model: 'scripted', timeoutMs: 5000, stream, retries: 0 });
}

describe.each([false, true])('OpenAICompatibleProvider against the scripted server (stream=%s)', (stream) => {
  it('gets the identity answer with reported usage and an end stop reason', async () => {
    const messages: ChatMessage[] = [{ role: 'system', content: system }, { role: 'user', content: 'Who do you report to?' }];
    const res = await provider(stream).complete({ messages, agentId: 'morgan.blake' });
    expect(res.text).toBe('I report to Alex Kim (Chief Executive Officer).');
    expect(res.toolCalls).toEqual([]);
    expect(res.stopReason).toBe('end');
    const inputChars = system.length + 'Who do you report to?'.length;
    expect(res.usage).toEqual({ inputTokens: Math.ceil(inputChars / 4), outputTokens: Math.ceil(res.text.length / 4) });
    const [recorded] = server.requests();
    expect(recorded?.agentId).toBe('morgan.blake');
    expect(recorded?.stream).toBe(stream);
  });

  it('round-trips a tool call and the tool result', async () => {
    server.setRules([
      { agent: 'morgan.blake', match: 'ask (\\w+)', toolCalls: [{ name: 'message_colleague', arguments: { to: '{{match.1}}', text: 'What is the long-term roadmap for the platform team, in detail?' } }] },
      { agent: 'morgan.blake', when: 'tool', reply: 'Director says: {{tool_result}}' },
    ]);
    const p = provider(stream);
    const messages: ChatMessage[] = [{ role: 'system', content: system }, { role: 'user', content: 'please ask dana' }];
    const first = await p.complete({ messages, tools, agentId: 'morgan.blake' });
    expect(first.stopReason).toBe('tool_use');
    expect(first.toolCalls).toHaveLength(1);
    const call = first.toolCalls[0]!;
    expect(call.name).toBe('message_colleague');
    expect(call.arguments).toEqual({ to: 'dana', text: 'What is the long-term roadmap for the platform team, in detail?' });
    expect(call.id).not.toBe('');

    messages.push({ role: 'assistant', content: first.text, toolCalls: first.toolCalls },
      { role: 'tool', toolCallId: call.id, name: call.name, content: 'ship in May' });
    const second = await p.complete({ messages, tools, agentId: 'morgan.blake' });
    expect(second.text).toBe('Director says: ship in May');
    expect(second.stopReason).toBe('end');

    // The server saw our messages in OpenAI shape and rebuilt them faithfully, tools included.
    const seen = server.requests()[1]!;
    expect(seen.tools?.map((t) => t.name)).toEqual(['message_colleague']);
    expect(seen.messages.slice(2)).toEqual([
      { role: 'assistant', content: '', toolCalls: [call] },
      { role: 'tool', toolCallId: call.id, name: 'message_colleague', content: 'ship in May' },
    ]);
  });
});

describe('scripted server control endpoints', () => {
  it('can be scripted over HTTP from another process', async () => {
    const base = server.url.replace(/\/v1$/, '');
    const put = await fetch(`${base}/_scripted/rules`, { method: 'POST', body: JSON.stringify([{ match: 'ping', reply: 'pong' }]) });
    expect(put.status).toBe(200);
    await fetch(`${base}/_scripted/rules/append`, { method: 'POST', body: JSON.stringify({ rules: [{ reply: 'other' }] }) });
    const p = provider(false);
    expect((await p.complete({ messages: [{ role: 'user', content: 'ping' }], agentId: 'a' })).text).toBe('pong');
    expect((await p.complete({ messages: [{ role: 'user', content: 'hi' }], agentId: 'b' })).text).toBe('other');
    const recorded = (await (await fetch(`${base}/_scripted/requests?agent=b`)).json()) as { reply: { text: string } }[];
    expect(recorded.map((r) => r.reply.text)).toEqual(['other']);
  });

  it('rejects invalid rules with 400 and keeps the old ones', async () => {
    server.setRules([{ reply: 'kept' }]);
    const res = await fetch(`${server.url.replace(/\/v1$/, '')}/_scripted/rules`, { method: 'POST', body: JSON.stringify([{ match: '(' }]) });
    expect(res.status).toBe(400);
    expect((await provider(false).complete({ messages: [{ role: 'user', content: 'x' }] })).text).toBe('kept');
  });

  it('lists a model', async () => {
    const body = (await (await fetch(`${server.url}/models`)).json()) as { data: { id: string }[] };
    expect(body.data.map((m) => m.id)).toContain('scripted');
  });
});
