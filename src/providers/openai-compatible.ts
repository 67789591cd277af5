import { randomUUID } from 'node:crypto';
import { componentLogger, type Logger } from '../log.ts';
import {
  isRecord, parseToolArguments, stopReasonFromFinish, toOpenAIMessages, toOpenAITools,
} from './openai-wire.ts';
import { callWithRetry, retryAfterMsFromHeaders } from './retry.ts';
import { sseData } from './sse.ts';
import {
  ProviderError, type ChatMessage, type CompletionRequest, type CompletionResult, type ModelProvider, type ToolCall, type Usage,
} from './types.ts';
import { estimateUsage } from './usage.ts';

export interface OpenAICompatibleOptions {
  /** Throw throttling at once instead of retrying it (a RateLimitedProvider around this one handles it). */
  throttledToCaller?: boolean;
  /** e.g. http://127.0.0.1:11434/v1 — `/chat/completions` is appended. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Per attempt, covering the whole response including a streamed body. */
  timeoutMs: number;
  stream: boolean;
  retries: number;
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/** Talks to any server speaking the OpenAI chat-completions API: OpenAI, Ollama, vLLM, llama.cpp, the scripted model. */
export class OpenAICompatibleProvider implements ModelProvider {
  readonly id: string;
  readonly model: string;
  readonly #opts: OpenAICompatibleOptions;
  readonly #url: string;
  readonly #log: Logger;

  constructor(opts: OpenAICompatibleOptions) {
    const baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#opts = { ...opts, baseUrl };
    this.#url = `${baseUrl}/chat/completions`;
    this.model = opts.model;
    this.id = `openai:${withoutCredentials(baseUrl)}`;
    this.#log = componentLogger('providers', { provider: this.id, model: opts.model });
  }

  complete(req: CompletionRequest): Promise<CompletionResult> {
    return callWithRetry(this.#opts, req.signal, this.#log, (attempt, signal, timeout) => this.#attempt(req, attempt, signal, timeout));
  }

  async #attempt(req: CompletionRequest, attempt: number, signal: AbortSignal, timeout: AbortSignal): Promise<CompletionResult> {
    this.#log.debug({ agentId: req.agentId, attempt, stream: this.#opts.stream, messages: req.messages.length }, 'model call');
    try {
      const res = await fetch(this.#url, { method: 'POST', headers: this.#headers(), body: JSON.stringify(this.#body(req)), signal });
      if (!res.ok) throw await this.#httpError(res);
      return this.#opts.stream ? await this.#readStream(res, req) : await this.#readJson(res, req);
    } catch (err) {
      throw this.#classify(err, req.signal, timeout);
    }
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: this.#opts.stream ? 'text/event-stream' : 'application/json',
    };
    if (this.#opts.apiKey) headers.authorization = `Bearer ${this.#opts.apiKey}`;
    return headers;
  }

  #body(req: CompletionRequest): Record<string, unknown> {
    return {
      model: this.#opts.model,
      messages: toOpenAIMessages(req.messages),
      ...(req.tools?.length ? { tools: toOpenAITools(req.tools) } : {}),
      ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      // `user` is the standard field for end-user attribution; the scripted model routes rules by it.
      ...(req.agentId !== undefined ? { user: req.agentId } : {}),
      stream: this.#opts.stream,
      ...(this.#opts.stream ? { stream_options: { include_usage: true } } : {}),
    };
  }

  async #httpError(res: Response): Promise<ProviderError> {
    const detail = errorDetail(await res.text().catch(() => ''));
    const status = res.status;
    const message = `${this.id} HTTP ${status}${detail ? `: ${detail}` : ''}`;
    const retryAfterMs = retryAfterMsFromHeaders(res.headers);
    const common = { provider: this.id, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    if (status === 429) return new ProviderError(message, { ...common, kind: 'throttled' });
    if (status === 408) return new ProviderError(message, { ...common, kind: 'timeout' });
    if (status >= 500) return new ProviderError(message, { ...common, kind: 'unavailable' });
    if (status === 401 || status === 403) return new ProviderError(message, { ...common, kind: 'auth' });
    if (status >= 400) return new ProviderError(message, { ...common, kind: 'bad_request' });
    return new ProviderError(message, { ...common, kind: 'unknown' });
  }

  #classify(err: unknown, callerSignal: AbortSignal | undefined, timeout: AbortSignal): unknown {
    if (err instanceof ProviderError) return err;
    // The caller's own cancellation is not a provider failure: hand back their reason untouched.
    if (callerSignal?.aborted) return callerSignal.reason;
    if (timeout.aborted) {
      return new ProviderError(`${this.id} timed out after ${this.#opts.timeoutMs} ms`, { kind: 'timeout', provider: this.id, cause: err });
    }
    if (isNetworkFailure(err)) {
      const reason = networkCode(err) ?? (err instanceof Error ? err.message : String(err));
      return new ProviderError(`${this.id} unreachable (${reason})`, { kind: 'unavailable', provider: this.id, cause: err });
    }
    const text = err instanceof Error ? err.message : String(err);
    return new ProviderError(`${this.id} returned an unusable response: ${text}`, { kind: 'unknown', provider: this.id, cause: err });
  }

  async #readJson(res: Response, req: CompletionRequest): Promise<CompletionResult> {
    const body: unknown = await res.json();
    if (!isRecord(body)) throw new ProviderError(`${this.id} returned a non-object body`, { kind: 'unknown', provider: this.id });
    if (body.error !== undefined) throw this.#bodyError(body.error);
    const choice = Array.isArray(body.choices) && isRecord(body.choices[0]) ? body.choices[0] : undefined;
    const message = choice && isRecord(choice.message) ? choice.message : {};
    const text = typeof message.content === 'string' ? message.content : '';
    const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls.flatMap(toolCallFromJson) : [];
    return result(text, toolCalls, choice?.finish_reason, body.usage, req.messages);
  }

  async #readStream(res: Response, req: CompletionRequest): Promise<CompletionResult> {
    if (!res.body) throw new ProviderError(`${this.id} returned an empty stream`, { kind: 'unavailable', provider: this.id });
    let text = '';
    const calls = new Map<number, { id: string; name: string; args: string }>();
    let finish: unknown;
    let usage: unknown;
    let done = false;
    for await (const data of sseData(res.body)) {
      if (data.trim() === '[DONE]') {
        done = true;
        break;
      }
      const chunk: unknown = JSON.parse(data);
      if (!isRecord(chunk)) continue;
      if (chunk.error !== undefined) throw this.#bodyError(chunk.error, 'unavailable');
      if (isRecord(chunk.usage)) usage = chunk.usage;
      const choice = Array.isArray(chunk.choices) && isRecord(chunk.choices[0]) ? chunk.choices[0] : undefined;
      if (!choice) continue;
      if (choice.finish_reason) finish = choice.finish_reason;
      const delta = isRecord(choice.delta) ? choice.delta : {};
      if (typeof delta.content === 'string') text += delta.content;
      for (const d of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
        if (!isRecord(d)) continue;
        const index = typeof d.index === 'number' ? d.index : calls.size;
        const call = calls.get(index) ?? { id: '', name: '', args: '' };
        if (typeof d.id === 'string' && d.id) call.id = d.id;
        const fn = isRecord(d.function) ? d.function : {};
        if (typeof fn.name === 'string') call.name += fn.name;
        if (typeof fn.arguments === 'string') call.args += fn.arguments;
        calls.set(index, call);
      }
    }
    if (!done && finish === undefined) {
      throw new ProviderError(`${this.id} stream ended before completion`, { kind: 'unavailable', provider: this.id });
    }
    const toolCalls = [...calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]): ToolCall => ({ id: c.id || newCallId(), name: c.name, arguments: parseToolArguments(c.args) }));
    return result(text, toolCalls, finish, usage, req.messages);
  }

  #bodyError(error: unknown, kind: 'unknown' | 'unavailable' = 'unknown'): ProviderError {
    const detail = isRecord(error) && typeof error.message === 'string' ? error.message : JSON.stringify(error);
    return new ProviderError(`${this.id} error: ${detail.slice(0, 300)}`, { kind, provider: this.id });
  }
}

function result(text: string, toolCalls: ToolCall[], finish: unknown, rawUsage: unknown, messages: ChatMessage[]): CompletionResult {
  return {
    text,
    toolCalls,
    usage: usageFrom(rawUsage) ?? estimateUsage(messages, text, toolCalls),
    stopReason: stopReasonFromFinish(finish, toolCalls.length > 0),
  };
}

function usageFrom(raw: unknown): Usage | undefined {
  if (!isRecord(raw) || typeof raw.prompt_tokens !== 'number' || typeof raw.completion_tokens !== 'number') return undefined;
  return { inputTokens: raw.prompt_tokens, outputTokens: raw.completion_tokens };
}

function toolCallFromJson(raw: unknown): ToolCall[] {
  if (!isRecord(raw) || !isRecord(raw.function) || typeof raw.function.name !== 'string') return [];
  const args = raw.function.arguments;
  return [{
    id: typeof raw.id === 'string' && raw.id ? raw.id : newCallId(),
    name: raw.function.name,
    // Ollama sends arguments as an object rather than a JSON string.
    arguments: typeof args === 'string' ? parseToolArguments(args) : isRecord(args) ? args : {},
  }];
}

function newCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

function errorDetail(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed)) {
      const error = parsed.error;
      if (isRecord(error) && typeof error.message === 'string') return error.message.slice(0, 300);
      if (typeof error === 'string') return error.slice(0, 300);
      if (typeof parsed.message === 'string') return parsed.message.slice(0, 300);
    }
  } catch {
    // not JSON: use the text itself
  }
  return body.trim().slice(0, 300);
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; isRecord(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

function isNetworkFailure(err: unknown): boolean {
  // undici reports connection refused/reset and mid-body disconnects as TypeError('fetch failed' | 'terminated').
  return err instanceof TypeError || networkCode(err) !== undefined;
}

function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url;
  }
}
