import { describe, expect, it } from 'vitest';
import { createProvider, providerConfigSchema } from '../../../src/providers/index.ts';
import { OpenAICompatibleProvider } from '../../../src/providers/openai-compatible.ts';
import { ScriptedProvider } from '../../../src/providers/scripted/provider.ts';

describe('providerConfigSchema', () => {
  it('fills defaults for openai and rejects unknown kinds', () => {
    expect(providerConfigSchema.parse({ kind: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3' }))
      .toMatchObject({ stream: false, timeoutMs: 120_000, retries: 3 });
    expect(providerConfigSchema.safeParse({ kind: 'gpt' }).success).toBe(false);
    expect(providerConfigSchema.safeParse({ kind: 'openai', baseUrl: 'localhost', model: 'x' }).success).toBe(false);
  });
});

describe('createProvider', () => {
  it('builds the scripted and openai providers', () => {
    expect(createProvider({ kind: 'scripted' })).toBeInstanceOf(ScriptedProvider);
    const p = createProvider({ kind: 'openai', baseUrl: 'http://user:pw@127.0.0.1:8000/v1/', model: 'qwen' });
    expect(p).toBeInstanceOf(OpenAICompatibleProvider);
    expect(p.id).toBe('openai:http://127.0.0.1:8000/v1');
    expect(p.model).toBe('qwen');
  });

  it('requires the named API key variable to be set', () => {
    const cfg = { kind: 'openai' as const, baseUrl: 'http://127.0.0.1:8000/v1', model: 'x', apiKeyEnv: 'FLEET_TEST_KEY' };
    expect(() => createProvider(cfg, {})).toThrow(/FLEET_TEST_KEY/);
    expect(createProvider(cfg, { FLEET_TEST_KEY: 'k' })).toBeInstanceOf(OpenAICompatibleProvider);
  });
});

describe('ScriptedProvider', () => {
  it('answers in-process with tool calls, ids and estimated usage', async () => {
    const p = new ScriptedProvider({ rules: [{ match: 'lookup (\\w+)', toolCalls: [{ name: 'find', arguments: { who: '{{match.1}}' } }], times: 1 }] });
    const messages = [{ role: 'system' as const, content: 'Name: Sam Lee\nTitle: Engineer' }, { role: 'user' as const, content: 'lookup dana' }];
    const first = await p.complete({ messages });
    expect(first).toMatchObject({ text: '', stopReason: 'tool_use', toolCalls: [{ name: 'find', arguments: { who: 'dana' } }] });
    expect(first.usage.inputTokens).toBe(Math.ceil((messages[0]!.content.length + 'lookup dana'.length) / 4));
    const second = await p.complete({ messages });
    expect(second).toMatchObject({ text: 'Sam Lee (Engineer) here. You said: "lookup dana"', stopReason: 'end', toolCalls: [] });
    expect(p.calls).toBe(2);
  });
});
