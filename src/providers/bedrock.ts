import {
  BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, type ConverseRequest,
} from '@aws-sdk/client-bedrock-runtime';
import { componentLogger, type Logger } from '../log.ts';
import { classifyBedrockError } from './bedrock-errors.ts';
import {
  ConverseStreamAssembler, replyFromConverse, stopReasonFromConverse, toConverseConversation, toConverseTools,
  type ConverseReply,
} from './bedrock-wire.ts';
import { callWithRetry } from './retry.ts';
import { ProviderError, type CompletionRequest, type CompletionResult, type ModelProvider } from './types.ts';
import { estimateUsage } from './usage.ts';

export interface BedrockProviderOptions {
  /** Throw throttling at once instead of retrying it (a RateLimitedProvider around this one handles it). */
  throttledToCaller?: boolean;
  region: string;
  /** A foundation model id, inference profile id (e.g. `us.anthropic...`) or ARN. */
  modelId: string;
  /**
   * Shared-config profile name. Handed to the SDK client, which resolves it through the standard credential chain
   * exactly as AWS_PROFILE would; credentials are never passed in explicitly.
   */
  profile?: string;
  /** Per attempt, covering the whole response including a streamed body. */
  timeoutMs: number;
  stream: boolean;
  retries: number;
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Injected by tests, or to share one client between providers. */
  client?: BedrockRuntimeClient;
}

/** Amazon Bedrock through the Converse / ConverseStream API, so any Converse-capable model works unchanged. */
export class BedrockProvider implements ModelProvider {
  readonly id: string;
  readonly model: string;
  readonly #opts: BedrockProviderOptions;
  readonly #client: BedrockRuntimeClient;
  readonly #log: Logger;

  constructor(opts: BedrockProviderOptions) {
    this.#opts = opts;
    this.id = `bedrock:${opts.region}`;
    this.model = opts.modelId;
    this.#client = opts.client ?? new BedrockRuntimeClient({
      region: opts.region,
      ...(opts.profile ? { profile: opts.profile } : {}),
      // withProviderRetry is the one retry loop; SDK retries on top would multiply attempts and hide throttling.
      maxAttempts: 1,
    });
    this.#log = componentLogger('providers', { provider: this.id, model: opts.modelId });
  }

  complete(req: CompletionRequest): Promise<CompletionResult> {
    return callWithRetry(this.#opts, req.signal, this.#log, (attempt, signal, timeout) => this.#attempt(req, attempt, signal, timeout));
  }

  async #attempt(req: CompletionRequest, attempt: number, signal: AbortSignal, timeout: AbortSignal): Promise<CompletionResult> {
    this.#log.debug({ agentId: req.agentId, attempt, stream: this.#opts.stream, messages: req.messages.length }, 'model call');
    try {
      const input = this.#request(req);
      const reply = this.#opts.stream ? await this.#converseStream(input, signal) : await this.#converse(input, signal);
      return {
        text: reply.text,
        toolCalls: reply.toolCalls,
        usage: reply.usage ?? estimateUsage(req.messages, reply.text, reply.toolCalls),
        stopReason: stopReasonFromConverse(reply.stopReason, reply.toolCalls.length > 0),
      };
    } catch (err) {
      throw classifyBedrockError(err, { provider: this.id, timeoutMs: this.#opts.timeoutMs, callerSignal: req.signal, timeout });
    }
  }

  #request(req: CompletionRequest): ConverseRequest {
    const { system, messages } = toConverseConversation(req.messages);
    const inferenceConfig = {
      ...(req.maxTokens !== undefined ? { maxTokens: req.maxTokens } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    };
    return {
      modelId: this.#opts.modelId,
      messages,
      ...(system.length ? { system } : {}),
      ...(Object.keys(inferenceConfig).length ? { inferenceConfig } : {}),
      ...(req.tools?.length ? { toolConfig: { tools: toConverseTools(req.tools) } } : {}),
    };
  }

  async #converse(input: ConverseRequest, signal: AbortSignal): Promise<ConverseReply> {
    return replyFromConverse(await this.#client.send(new ConverseCommand(input), { abortSignal: signal }));
  }

  async #converseStream(input: ConverseRequest, signal: AbortSignal): Promise<ConverseReply> {
    const res = await this.#client.send(new ConverseStreamCommand(input), { abortSignal: signal });
    if (!res.stream) throw new ProviderError(`${this.id} returned no stream`, { kind: 'unavailable', provider: this.id });
    const assembler = new ConverseStreamAssembler();
    for await (const event of res.stream) {
      // The HTTP handler's abort only covers the request; stop reading a slow stream ourselves.
      signal.throwIfAborted();
      assembler.add(event);
    }
    const reply = assembler.finish();
    if (!reply) throw new ProviderError(`${this.id} stream ended before completion`, { kind: 'unavailable', provider: this.id });
    return reply;
  }
}
