/**
 * The one contract every model provider implements. It is deliberately the intersection of what the OpenAI chat
 * completions API and Amazon Bedrock Converse can both express: system/user/assistant/tool turns, JSON-schema tools,
 * tool calls with ids, token usage and a three-way stop reason.
 */

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON schema of the tool's arguments object. */
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

export interface CompletionRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
  /** who is asking, for logs and scripted-model routing */
  agentId?: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type StopReason = 'end' | 'tool_use' | 'max_tokens';

export interface CompletionResult {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
  stopReason: StopReason;
}

export interface ModelProvider {
  /** e.g. 'scripted', 'openai:http://127.0.0.1:11434/v1', 'bedrock' */
  readonly id: string;
  readonly model: string;
  complete(req: CompletionRequest): Promise<CompletionResult>;
}

export type ProviderErrorKind = 'throttled' | 'timeout' | 'unavailable' | 'auth' | 'bad_request' | 'unknown';

const RETRYABLE_KINDS: ReadonlySet<ProviderErrorKind> = new Set(['throttled', 'timeout', 'unavailable']);

export interface ProviderErrorOptions {
  kind: ProviderErrorKind;
  provider: string;
  /** Defaults to true for throttled, timeout and unavailable. */
  retryable?: boolean;
  retryAfterMs?: number;
  status?: number;
  cause?: unknown;
}

/** A provider failure classified so callers (and withProviderRetry) can decide without parsing messages. */
export class ProviderError extends Error {
  kind: ProviderErrorKind;
  retryable: boolean;
  retryAfterMs?: number;
  status?: number;
  provider: string;

  constructor(message: string, opts: ProviderErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ProviderError';
    this.kind = opts.kind;
    this.provider = opts.provider;
    this.retryable = opts.retryable ?? RETRYABLE_KINDS.has(opts.kind);
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
    if (opts.status !== undefined) this.status = opts.status;
  }
}
