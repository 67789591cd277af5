import {
  AccessDeniedException, BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InternalServerException,
  ThrottlingException, type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { BedrockProvider, type BedrockProviderOptions } from '../../../src/providers/bedrock.ts';
import { createProvider } from '../../../src/providers/index.ts';
import { ProviderError, type ChatMessage, type ToolSpec } from '../../../src/providers/types.ts';

const bedrock = mockClient(BedrockRuntimeClient);
beforeEach(() => bedrock.reset());
afterAll(() => bedrock.restore());

const MODEL = 'anthropic.claude-3-5-sonnet-20241022-v2:0';
const metadata = { $metadata: {} };

function provider(opts: Partial<BedrockProviderOptions> = {}): BedrockProvider {
  return new BedrockProvider({
    region: 'us-east-1', modelId: MODEL, stream: true, timeoutMs: 5000, retries: 3, minRetryDelayMs: 1, maxRetryDelayMs: 2, ...opts,
  });
}

async function* events(list: ConverseStreamOutput[]): AsyncGenerator<ConverseStreamOutput> {
  for (const e of list) yield e;
}

const tools: ToolSpec[] = [{
  name: 'message_colleague',
  description: 'Send a message to a colleague',
  parameters: { type: 'object', properties: { to: { type: 'string' }, text: { type: 'string' } }, required: ['to', 'text'] },
}];

describe('BedrockProvider', () => {
  it('returns non-streamed text, usage and stop reason from Converse', async () => {
    bedrock.on(ConverseCommand).resolves({
      ...metadata,
      output: { message: { role: 'assistant', content: [{ text: 'Hello ' }, { text: 'there.' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
      metrics: { latencyMs: 5 },
    });
    const p = provider({ stream: false });
    const res = await p.complete({ messages: [{ role: 'user', content: 'hi' }] });
    expect(res).toEqual({ text: 'Hello there.', toolCalls: [], usage: { inputTokens: 12, outputTokens: 3 }, stopReason: 'end' });
    expect(bedrock.commandCalls(ConverseStreamCommand)).toHaveLength(0);
    expect(p.id).toBe('bedrock:us-east-1');
    expect(p.model).toBe(MODEL);
  });

  it('maps max_tokens and a non-streamed toolUse block', async () => {
    bedrock.on(ConverseCommand).resolves({
      ...metadata,
      output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 'tu1', name: 'message_colleague', input: { to: 'dana' } } }] } },
      stopReason: 'tool_use', usage: undefined, metrics: undefined,
    });
    const res = await provider({ stream: false }).complete({ messages: [{ role: 'user', content: 'ask dana' }], tools });
    expect(res.toolCalls).toEqual([{ id: 'tu1', name: 'message_colleague', arguments: { to: 'dana' } }]);
    expect(res.stopReason).toBe('tool_use');
    // no usage reported: the chars/4 estimate keeps budgets moving
    expect(res.usage.inputTokens).toBeGreaterThan(0);

    bedrock.on(ConverseCommand).resolves({
      ...metadata, output: { message: { role: 'assistant', content: [{ text: 'cut' }] } }, stopReason: 'max_tokens', usage: undefined, metrics: undefined,
    });
    expect((await provider({ stream: false }).complete({ messages: [{ role: 'user', content: 'x' }] })).stopReason).toBe('max_tokens');
  });

  it('assembles streamed text deltas and metadata usage', async () => {
    bedrock.on(ConverseStreamCommand).resolves({
      ...metadata,
      stream: events([
        { messageStart: { role: 'assistant' } },
        { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'I report to ' } } },
        { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Alex Kim.' } } },
        { contentBlockStop: { contentBlockIndex: 0 } },
        { messageStop: { stopReason: 'end_turn' } },
        { metadata: { usage: { inputTokens: 40, outputTokens: 6, totalTokens: 46 }, metrics: { latencyMs: 9 } } },
      ]),
    });
    const res = await provider().complete({ messages: [{ role: 'user', content: 'Who do you report to?' }] });
    expect(res).toEqual({ text: 'I report to Alex Kim.', toolCalls: [], usage: { inputTokens: 40, outputTokens: 6 }, stopReason: 'end' });
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(0);
  });

  it('assembles streamed toolUse input fragments into parsed tool calls', async () => {
    bedrock.on(ConverseStreamCommand).resolves({
      ...metadata,
      stream: events([
        { messageStart: { role: 'assistant' } },
        { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Asking Dana.' } } },
        { contentBlockStop: { contentBlockIndex: 0 } },
        { contentBlockStart: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_A', name: 'message_colleague' } } } },
        { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '{"to": "da' } } } },
        { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: 'na", "text": "status?"}' } } } },
        { contentBlockStop: { contentBlockIndex: 1 } },
        { contentBlockStart: { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'tooluse_B', name: 'message_colleague' } } } },
        { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '{"to":"sam","text":"hi"}' } } } },
        { contentBlockStop: { contentBlockIndex: 2 } },
        { messageStop: { stopReason: 'tool_use' } },
        { metadata: { usage: { inputTokens: 50, outputTokens: 20, totalTokens: 70 }, metrics: { latencyMs: 9 } } },
      ]),
    });
    const res = await provider().complete({ messages: [{ role: 'user', content: 'ask dana and sam' }], tools });
    expect(res.stopReason).toBe('tool_use');
    expect(res.text).toBe('Asking Dana.');
    expect(res.toolCalls).toEqual([
      { id: 'tooluse_A', name: 'message_colleague', arguments: { to: 'dana', text: 'status?' } },
      { id: 'tooluse_B', name: 'message_colleague', arguments: { to: 'sam', text: 'hi' } },
    ]);
  });

  it('sends system apart, merged alternating roles, tool results in a user turn and the tool config', async () => {
    bedrock.on(ConverseStreamCommand).resolves({
      ...metadata,
      stream: events([{ contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'ok' } } }, { messageStop: { stopReason: 'end_turn' } }]),
    });
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Name: Morgan Blake' },
      { role: 'system', content: 'Title: VP Engineering' },
      { role: 'user', content: 'first' },
      { role: 'user', content: 'second' },
      { role: 'assistant', content: '', toolCalls: [
        { id: 't1', name: 'message_colleague', arguments: { to: 'dana', text: 'a' } },
        { id: 't2', name: 'message_colleague', arguments: { to: 'sam', text: 'b' } },
      ] },
      { role: 'tool', toolCallId: 't1', name: 'message_colleague', content: 'dana says yes' },
      { role: 'tool', toolCallId: 't2', name: 'message_colleague', content: 'sam says no' },
      { role: 'user', content: 'so?' },
    ];
    await provider().complete({ messages, tools, maxTokens: 256, temperature: 0.2 });
    const [call] = bedrock.commandCalls(ConverseStreamCommand);
    expect(call?.args[0].input).toEqual({
      modelId: MODEL,
      system: [{ text: 'Name: Morgan Blake' }, { text: 'Title: VP Engineering' }],
      messages: [
        { role: 'user', content: [{ text: 'first' }, { text: 'second' }] },
        { role: 'assistant', content: [
          { toolUse: { toolUseId: 't1', name: 'message_colleague', input: { to: 'dana', text: 'a' } } },
          { toolUse: { toolUseId: 't2', name: 'message_colleague', input: { to: 'sam', text: 'b' } } },
        ] },
        { role: 'user', content: [
          { toolResult: { toolUseId: 't1', content: [{ text: 'dana says yes' }] } },
          { toolResult: { toolUseId: 't2', content: [{ text: 'sam says no' }] } },
          { text: 'so?' },
        ] },
      ],
      inferenceConfig: { maxTokens: 256, temperature: 0.2 },
      toolConfig: { tools: [{ toolSpec: { name: 'message_colleague', description: 'Send a message to a colleague', inputSchema: { json: tools[0]!.parameters } } }] },
    });
    // the abort/timeout signal reaches the SDK so a hung request is cut off
    const options = (call?.args as unknown[] | undefined)?.[1] as { abortSignal?: unknown } | undefined;
    expect(options?.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it('retries throttling and then succeeds', async () => {
    const throttled = (): ThrottlingException =>
      new ThrottlingException({ message: 'Too many requests, please wait', $metadata: { httpStatusCode: 429 } });
    bedrock.on(ConverseCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ ...metadata, output: { message: { role: 'assistant', content: [{ text: 'done' }] } }, stopReason: 'end_turn', usage: undefined, metrics: undefined });
    const res = await provider({ stream: false }).complete({ messages: [{ role: 'user', content: 'hi' }] });
    expect(res.text).toBe('done');
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(3);
  });

  it('retries server errors, then gives up with an unavailable ProviderError', async () => {
    bedrock.on(ConverseStreamCommand).rejects(new InternalServerException({ message: 'boom', $metadata: { httpStatusCode: 500 } }));
    const err: unknown = await provider({ retries: 2 }).complete({ messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'unavailable', status: 500, retryable: true, provider: 'bedrock:us-east-1' });
    expect(bedrock.commandCalls(ConverseStreamCommand)).toHaveLength(3);
  });

  it('fails at once with auth on AccessDenied', async () => {
    bedrock.on(ConverseStreamCommand).rejects(new AccessDeniedException({ message: 'not authorized to invoke', $metadata: { httpStatusCode: 403 } }));
    const err: unknown = await provider().complete({ messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'auth', retryable: false });
    expect(bedrock.commandCalls(ConverseStreamCommand)).toHaveLength(1);
  });

  it('treats an error event inside the stream as a retryable failure', async () => {
    bedrock.on(ConverseStreamCommand)
      .resolvesOnce({ ...metadata, stream: events([
        { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'par' } } },
        { modelStreamErrorException: { name: 'ModelStreamErrorException', $fault: 'client', message: 'stream broke' } as never },
      ]) })
      .resolves({ ...metadata, stream: events([
        { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'whole' } } }, { messageStop: { stopReason: 'end_turn' } },
      ]) });
    const res = await provider().complete({ messages: [{ role: 'user', content: 'hi' }] });
    expect(res.text).toBe('whole');
    expect(bedrock.commandCalls(ConverseStreamCommand)).toHaveLength(2);
  });

  it('reports a stream that ends without messageStop as unavailable', async () => {
    bedrock.on(ConverseStreamCommand).resolves({ ...metadata, stream: events([{ contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'half' } } }]) });
    await expect(provider({ retries: 0 }).complete({ messages: [{ role: 'user', content: 'hi' }] }))
      .rejects.toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/ended before completion/) });
  });

  it('hands back the caller\'s abort reason, not a provider error, when cancelled mid-stream', async () => {
    const controller = new AbortController();
    const reason = new Error('agent cancelled');
    async function* abortingStream(): AsyncGenerator<ConverseStreamOutput> {
      yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'a' } } };
      controller.abort(reason);
      yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'b' } } };
      yield { messageStop: { stopReason: 'end_turn' } };
    }
    bedrock.on(ConverseStreamCommand).resolves({ ...metadata, stream: abortingStream() });
    await expect(provider().complete({ messages: [{ role: 'user', content: 'hi' }], signal: controller.signal })).rejects.toBe(reason);
    expect(bedrock.commandCalls(ConverseStreamCommand)).toHaveLength(1);
  });

  it('is what createProvider builds for kind bedrock', () => {
    const p = createProvider({ kind: 'bedrock', region: 'eu-west-1', modelId: 'amazon.nova-lite-v1:0', profile: 'fleet' });
    expect(p).toBeInstanceOf(BedrockProvider);
    expect(p.id).toBe('bedrock:eu-west-1');
    expect(p.model).toBe('amazon.nova-lite-v1:0');
  });
});
