import type { ChatMessage, ModelProvider, ToolSpec, Usage } from '../../providers/types.ts';
import type { CoreAssistantMessage, CoreContext, CoreMessage, CoreModel, CoreStreamFn, CoreText, CoreUsage, LlmModule } from './core-types.ts';

/** Per-run bookkeeping shared between the loop and the model adapter. */
export interface RunBudget {
  /** Model calls so far in this run. */
  rounds: number;
  /** Model calls allowed to use tools; the one after that must answer in prose. */
  maxToolRounds: number;
  usage: Usage;
  /** The provider's own error, rethrown after the loop so callers see ProviderError kinds, not a loop message. */
  error?: unknown;
}

export const FINAL_ROUND_NOTICE = '(Tool budget for this message is used up. Answer now in plain chat prose without calling tools.)';

export function coreModelFor(provider: ModelProvider): CoreModel {
  return {
    id: provider.model,
    name: provider.model,
    api: 'open-claw-fleet',
    provider: provider.id,
    baseUrl: '',
    reasoning: false,
    input: ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 200_000,
    maxTokens: 4096,
  };
}

export function coreUsage(u: Usage): CoreUsage {
  return {
    input: u.inputTokens,
    output: u.outputTokens,
    cacheRead: 0,
    cacheWrite: 0,
    totalTokens: u.inputTokens + u.outputTokens,
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
  };
}

function textOf(content: string | { type: string }[]): string {
  if (typeof content === 'string') return content;
  return content.filter((c): c is CoreText => c.type === 'text').map((c) => c.text).join('');
}

/** agent-core's transcript → our provider's chat messages (thinking blocks are not replayed). */
export function toChatMessages(context: CoreContext): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (context.systemPrompt) out.push({ role: 'system', content: context.systemPrompt });
  for (const m of context.messages as CoreMessage[]) {
    if (m.role === 'user') out.push({ role: 'user', content: textOf(m.content) });
    else if (m.role === 'assistant') {
      if (m.stopReason === 'error' || m.stopReason === 'aborted') continue;
      const toolCalls = m.content.flatMap((c) => (c.type === 'toolCall' ? [{ id: c.id, name: c.name, arguments: c.arguments }] : []));
      out.push({ role: 'assistant', content: textOf(m.content), ...(toolCalls.length ? { toolCalls } : {}) });
    } else out.push({ role: 'tool', toolCallId: m.toolCallId, name: m.toolName, content: textOf(m.content) });
  }
  return out;
}

/**
 * agent-core's model hook answered by our ModelProvider: one complete() per call, replayed as a start/done event
 * pair (no token streaming: the fleet posts whole messages). Counts rounds, sums usage, and on the round after the
 * budget drops any tool calls so the loop must end.
 */
export function providerStreamFn(llm: LlmModule, provider: ModelProvider, agentId: string, budget: RunBudget, tools: ToolSpec[]): CoreStreamFn {
  return (model, context, options) => {
    const stream = llm.createAssistantMessageEventStream();
    const base = { role: 'assistant' as const, api: model.api, provider: model.provider, model: model.id, timestamp: Date.now() };
    void (async () => {
      budget.rounds++;
      const finalRound = budget.rounds > budget.maxToolRounds;
      // The notice goes into the system prompt: a trailing user turn after tool results breaks role alternation
      // for some backends (Bedrock Converse).
      const messages = toChatMessages(finalRound ? { ...context, systemPrompt: `${context.systemPrompt ?? ''}\n\n${FINAL_ROUND_NOTICE}` } : context);
      const result = await provider.complete({ messages, tools, agentId, ...(options.signal ? { signal: options.signal } : {}) });
      budget.usage.inputTokens += result.usage.inputTokens;
      budget.usage.outputTokens += result.usage.outputTokens;
      const calls = finalRound ? [] : result.toolCalls;
      const message: CoreAssistantMessage = {
        ...base,
        content: [
          ...(result.text ? [{ type: 'text' as const, text: result.text }] : []),
          ...calls.map((c) => ({ type: 'toolCall' as const, id: c.id, name: c.name, arguments: c.arguments })),
        ],
        usage: coreUsage(result.usage),
        stopReason: calls.length ? 'toolUse' : result.stopReason === 'max_tokens' ? 'length' : 'stop',
      };
      stream.push({ type: 'start', partial: { ...message, content: [] } });
      stream.push({ type: 'done', reason: message.stopReason as 'stop' | 'length' | 'toolUse', message });
    })().catch((err: unknown) => {
      budget.error ??= err;
      const aborted = options.signal?.aborted === true;
      const message: CoreAssistantMessage = {
        ...base,
        content: [],
        usage: coreUsage({ inputTokens: 0, outputTokens: 0 }),
        stopReason: aborted ? 'aborted' : 'error',
        errorMessage: err instanceof Error ? err.message : String(err),
      };
      stream.push({ type: 'error', reason: aborted ? 'aborted' : 'error', error: message });
    });
    return stream;
  };
}
