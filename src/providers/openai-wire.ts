/**
 * Translation between our ChatMessage/ToolSpec shapes and the OpenAI chat-completions wire format, both ways:
 * the OpenAI-compatible provider sends it, the scripted model server receives it.
 */
import type { ChatMessage, StopReason, ToolCall, ToolSpec } from './types.ts';

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type OpenAIMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: OpenAIToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface OpenAITool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** Key under which a tool call's arguments are kept when the model produced invalid JSON, so the agent can say so. */
export const UNPARSED_ARGUMENTS_KEY = '_unparsed_arguments';

export function toOpenAIMessages(messages: ChatMessage[]): OpenAIMessage[] {
  return messages.map((m): OpenAIMessage => {
    switch (m.role) {
      case 'system':
      case 'user':
        return { role: m.role, content: m.content };
      case 'assistant':
        if (!m.toolCalls?.length) return { role: 'assistant', content: m.content };
        // OpenAI wants null rather than '' next to tool calls; some servers reject the empty string.
        return { role: 'assistant', content: m.content === '' ? null : m.content, tool_calls: m.toolCalls.map(toOpenAIToolCall) };
      case 'tool':
        return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
    }
  });
}

export function toOpenAIToolCall(call: ToolCall): OpenAIToolCall {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } };
}

export function toOpenAITools(tools: ToolSpec[]): OpenAITool[] {
  return tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
}

export function parseToolArguments(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isRecord(parsed)) return parsed;
  } catch {
    // fall through: keep the raw text rather than silently dropping what the model said
  }
  return { [UNPARSED_ARGUMENTS_KEY]: raw };
}

export function stopReasonFromFinish(finish: unknown, hasToolCalls: boolean): StopReason {
  // Some servers (Ollama, older llama.cpp) report 'stop' alongside tool calls, so the calls themselves decide.
  if (hasToolCalls || finish === 'tool_calls' || finish === 'function_call') return 'tool_use';
  if (finish === 'length') return 'max_tokens';
  return 'end';
}

export function finishFromStopReason(stop: StopReason): 'stop' | 'tool_calls' | 'length' {
  return stop === 'tool_use' ? 'tool_calls' : stop === 'max_tokens' ? 'length' : 'stop';
}

/** Lenient parse of an incoming OpenAI `messages` array (string or text-part content, 'developer' as system). */
export function fromOpenAIMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw)) return [];
  const toolNames = new Map<string, string>();
  const out: ChatMessage[] = [];
  for (const m of raw) {
    if (!isRecord(m)) continue;
    const content = contentText(m.content);
    switch (m.role) {
      case 'system':
      case 'developer':
        out.push({ role: 'system', content });
        break;
      case 'user':
        out.push({ role: 'user', content });
        break;
      case 'assistant': {
        const calls = Array.isArray(m.tool_calls) ? m.tool_calls.flatMap(fromOpenAIToolCall) : [];
        for (const c of calls) toolNames.set(c.id, c.name);
        out.push(calls.length ? { role: 'assistant', content, toolCalls: calls } : { role: 'assistant', content });
        break;
      }
      case 'tool': {
        const toolCallId = typeof m.tool_call_id === 'string' ? m.tool_call_id : '';
        const name = typeof m.name === 'string' ? m.name : (toolNames.get(toolCallId) ?? '');
        out.push({ role: 'tool', toolCallId, name, content });
        break;
      }
    }
  }
  return out;
}

export function fromOpenAITools(raw: unknown): ToolSpec[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  return raw.flatMap((t): ToolSpec[] => {
    const fn = isRecord(t) && isRecord(t.function) ? t.function : undefined;
    if (!fn || typeof fn.name !== 'string') return [];
    return [{
      name: fn.name,
      description: typeof fn.description === 'string' ? fn.description : '',
      parameters: isRecord(fn.parameters) ? fn.parameters : {},
    }];
  });
}

function fromOpenAIToolCall(raw: unknown): ToolCall[] {
  if (!isRecord(raw) || !isRecord(raw.function) || typeof raw.function.name !== 'string') return [];
  const args = raw.function.arguments;
  return [{
    id: typeof raw.id === 'string' ? raw.id : '',
    name: raw.function.name,
    arguments: typeof args === 'string' ? parseToolArguments(args) : isRecord(args) ? args : {},
  }];
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
