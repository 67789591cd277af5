/**
 * Translation between our ChatMessage/ToolSpec shapes and the Amazon Bedrock Converse API, plus assembly of a
 * ConverseStream event sequence into one result.
 */
import type {
  ContentBlock, ConverseResponse, ConverseStreamOutput, Message, SystemContentBlock, Tool, ToolUseBlock,
} from '@aws-sdk/client-bedrock-runtime';
import { isRecord, parseToolArguments } from './openai-wire.ts';
import type { ChatMessage, StopReason, ToolCall, ToolSpec, Usage } from './types.ts';

type ConverseDocument = NonNullable<ToolUseBlock['input']>;

export interface ConverseConversation {
  system: SystemContentBlock[];
  messages: Message[];
}

/**
 * Converse wants system prompts apart, tool results inside a *user* turn, strictly alternating roles and no blank text
 * blocks; our transcript has none of those constraints, so this reshapes it.
 */
export function toConverseConversation(messages: ChatMessage[]): ConverseConversation {
  const system: SystemContentBlock[] = [];
  const turns: Message[] = [];
  for (const m of messages) {
    if (m.role === 'system') {
      if (m.content.trim() !== '') system.push({ text: m.content });
      continue;
    }
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const content = contentBlocks(m);
    if (content.length === 0) continue;
    const previous = turns.at(-1);
    if (previous?.role === role) previous.content = [...(previous.content ?? []), ...content];
    else turns.push({ role, content });
  }
  return { system, messages: turns };
}

function contentBlocks(m: ChatMessage): ContentBlock[] {
  switch (m.role) {
    case 'system':
      return [];
    case 'user':
      return nonBlankText(m.content);
    case 'assistant':
      return [
        ...nonBlankText(m.content),
        ...(m.toolCalls ?? []).map((c): ContentBlock => ({
          toolUse: { toolUseId: c.id, name: c.name, input: c.arguments as ConverseDocument },
        })),
      ];
    case 'tool':
      // A blank text block is rejected by Converse even inside a tool result; the model still needs the result turn.
      return [{ toolResult: { toolUseId: m.toolCallId, content: [{ text: m.content === '' ? '(no output)' : m.content }] } }];
  }
}

function nonBlankText(text: string): ContentBlock[] {
  return text.trim() === '' ? [] : [{ text }];
}

export function toConverseTools(tools: ToolSpec[]): Tool[] {
  return tools.map((t): Tool => ({
    toolSpec: { name: t.name, description: t.description, inputSchema: { json: t.parameters as ConverseDocument } },
  }));
}

export function stopReasonFromConverse(reason: unknown, hasToolCalls: boolean): StopReason {
  if (hasToolCalls || reason === 'tool_use') return 'tool_use';
  if (reason === 'max_tokens' || reason === 'model_context_window_exceeded') return 'max_tokens';
  return 'end';
}

export function usageFromConverse(raw: unknown): Usage | undefined {
  if (!isRecord(raw) || typeof raw.inputTokens !== 'number' || typeof raw.outputTokens !== 'number') return undefined;
  return { inputTokens: raw.inputTokens, outputTokens: raw.outputTokens };
}

export interface ConverseReply {
  text: string;
  toolCalls: ToolCall[];
  stopReason: unknown;
  usage: Usage | undefined;
}

export function replyFromConverse(res: ConverseResponse): ConverseReply {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of res.output?.message?.content ?? []) {
    if (typeof block.text === 'string') text += block.text;
    if (block.toolUse) {
      const input: unknown = block.toolUse.input;
      toolCalls.push({
        id: block.toolUse.toolUseId ?? '',
        name: block.toolUse.name ?? '',
        arguments: isRecord(input) ? input : typeof input === 'string' ? parseToolArguments(input) : {},
      });
    }
  }
  return { text, toolCalls, stopReason: res.stopReason, usage: usageFromConverse(res.usage) };
}

/** Event-stream error members: the real SDK throws these while iterating, but they are also valid stream events. */
const STREAM_ERROR_MEMBERS = [
  ['internalServerException', 'InternalServerException'],
  ['modelStreamErrorException', 'ModelStreamErrorException'],
  ['serviceUnavailableException', 'ServiceUnavailableException'],
  ['throttlingException', 'ThrottlingException'],
  ['validationException', 'ValidationException'],
] as const;

/** Accumulates ConverseStream events; `finish()` returns undefined if the stream never said it was done. */
export class ConverseStreamAssembler {
  #text = '';
  readonly #tools = new Map<number, { id: string; name: string; input: string }>();
  #stopReason: unknown;
  #stopped = false;
  #usage: Usage | undefined;
  #lastToolIndex = 0;

  add(event: ConverseStreamOutput): void {
    for (const [member, name] of STREAM_ERROR_MEMBERS) {
      const err: unknown = (event as unknown as Record<string, unknown>)[member];
      if (err !== undefined) {
        const message = isRecord(err) && typeof err.message === 'string' ? err.message : 'stream error';
        throw Object.assign(new Error(message), { name });
      }
    }
    if (event.contentBlockStart?.start?.toolUse) {
      const { toolUseId, name } = event.contentBlockStart.start.toolUse;
      const tool = this.#tool(event.contentBlockStart.contentBlockIndex);
      tool.id = toolUseId ?? tool.id;
      tool.name = name ?? tool.name;
    }
    const delta = event.contentBlockDelta?.delta;
    if (typeof delta?.text === 'string') this.#text += delta.text;
    if (typeof delta?.toolUse?.input === 'string') this.#tool(event.contentBlockDelta?.contentBlockIndex).input += delta.toolUse.input;
    if (event.messageStop) {
      this.#stopped = true;
      this.#stopReason = event.messageStop.stopReason;
    }
    if (event.metadata) this.#usage = usageFromConverse(event.metadata.usage) ?? this.#usage;
  }

  finish(): ConverseReply | undefined {
    if (!this.#stopped) return undefined;
    const toolCalls = [...this.#tools.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, t]): ToolCall => ({ id: t.id, name: t.name, arguments: parseToolArguments(t.input) }));
    return { text: this.#text, toolCalls, stopReason: this.#stopReason, usage: this.#usage };
  }

  #tool(index: number | undefined): { id: string; name: string; input: string } {
    // Bedrock always sends contentBlockIndex; without one, fragments belong to the block that was started last.
    const key = index ?? this.#lastToolIndex;
    this.#lastToolIndex = key;
    let tool = this.#tools.get(key);
    if (!tool) {
      tool = { id: '', name: '', input: '' };
      this.#tools.set(key, tool);
    }
    return tool;
  }
}
