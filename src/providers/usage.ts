import type { ChatMessage, ToolCall, Usage } from './types.ts';

/** Rough token count for when a backend reports none, and for the scripted model: one token per four characters. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** chars/4 usage estimate over a conversation and its reply, so budgets and metrics still see something plausible. */
export function estimateUsage(messages: ChatMessage[], text: string, toolCalls: ToolCall[]): Usage {
  const inputChars = messages.reduce(
    (n, m) => n + m.content.length + (m.role === 'assistant' && m.toolCalls ? JSON.stringify(m.toolCalls).length : 0),
    0,
  );
  const outputChars = text.length + toolCalls.reduce((n, c) => n + c.name.length + JSON.stringify(c.arguments).length, 0);
  return { inputTokens: estimateTokens(inputChars), outputTokens: estimateTokens(outputChars) };
}
