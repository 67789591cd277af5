/**
 * The slice of openclaw/plugin-sdk/agent-core (and plugin-sdk/llm) this runtime uses. The package ships no .d.ts for
 * these entry points, so the shapes are written down here from its bundled source (openclaw@2026.9.6,
 * packages/agent-core/src/agent.ts and packages/llm-core types) and the modules are loaded untyped in load-core.ts.
 */

export interface CoreText { type: 'text'; text: string }
export interface CoreThinking { type: 'thinking'; thinking: string }
export interface CoreToolCall { type: 'toolCall'; id: string; name: string; arguments: Record<string, unknown> }

export interface CoreUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  totalTokens: number;
  cost: { input: number; output: number; cacheRead: number; cacheWrite: number; total: number };
}

export type CoreStopReason = 'stop' | 'length' | 'toolUse' | 'error' | 'aborted';

export interface CoreUserMessage { role: 'user'; content: string | CoreText[]; timestamp: number }
export interface CoreAssistantMessage {
  role: 'assistant';
  content: (CoreText | CoreThinking | CoreToolCall)[];
  api: string;
  provider: string;
  model: string;
  usage: CoreUsage;
  stopReason: CoreStopReason;
  errorMessage?: string;
  timestamp: number;
}
export interface CoreToolResultMessage {
  role: 'toolResult';
  toolCallId: string;
  toolName: string;
  content: CoreText[];
  isError: boolean;
  timestamp: number;
}
export type CoreMessage = CoreUserMessage | CoreAssistantMessage | CoreToolResultMessage;

export interface CoreModel {
  id: string;
  name: string;
  api: string;
  provider: string;
  baseUrl: string;
  reasoning: boolean;
  input: string[];
  cost: { input: number; output: number; cacheRead: number; cacheWrite: number };
  contextWindow: number;
  maxTokens: number;
}

export interface CoreToolResult { content: CoreText[]; details: unknown }

export interface CoreTool {
  name: string;
  label: string;
  description: string;
  /** JSON schema; agent-core validates arguments against it before execute. */
  parameters: Record<string, unknown>;
  execute(toolCallId: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<CoreToolResult>;
}

export interface CoreContext { systemPrompt?: string; messages: CoreMessage[]; tools?: CoreTool[] }

export type CoreStreamEvent =
  | { type: 'start'; partial: CoreAssistantMessage }
  | { type: 'done'; reason: 'stop' | 'length' | 'toolUse'; message: CoreAssistantMessage }
  | { type: 'error'; reason: 'aborted' | 'error'; error: CoreAssistantMessage };

export interface CoreEventStream extends AsyncIterable<CoreStreamEvent> {
  push(event: CoreStreamEvent): void;
  end(result?: CoreAssistantMessage): void;
  result(): Promise<CoreAssistantMessage>;
}

/** How agent-core asks for one model response; we answer it with our ModelProvider. */
export type CoreStreamFn = (model: CoreModel, context: CoreContext, options: { signal?: AbortSignal }) => CoreEventStream;

export interface CoreAgentState {
  systemPrompt: string;
  model: CoreModel;
  tools: CoreTool[];
  messages: CoreMessage[];
  errorMessage?: string;
}

export interface CoreAgent {
  readonly state: CoreAgentState;
  prompt(text: string): Promise<void>;
  abort(reason?: unknown): void;
  waitForIdle(): Promise<void>;
  reset(): void;
}

export interface CoreAgentOptions {
  initialState?: Partial<CoreAgentState>;
  streamFn?: CoreStreamFn;
  toolExecution?: 'parallel' | 'sequential';
  sessionId?: string;
}

export interface AgentCoreModule { Agent: new (options?: CoreAgentOptions) => CoreAgent }
export interface LlmModule { createAssistantMessageEventStream(): CoreEventStream }
