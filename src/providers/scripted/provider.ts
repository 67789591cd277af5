import { setTimeout as sleep } from 'node:timers/promises';
import { estimateUsage } from '../usage.ts';
import { ProviderError, type CompletionRequest, type CompletionResult, type ModelProvider, type ToolCall } from '../types.ts';
import type { ScriptRule } from './brain.ts';
import { ScriptBook } from './script-book.ts';

export interface ScriptedProviderOptions {
  rules?: ScriptRule[];
  /** Simulated thinking time per call; 0 (default) keeps unit tests and benchmarks free of waiting. */
  latencyMs?: number;
}

/** The scripted model in-process: same answers as the scripted HTTP server, without network time. */
export class ScriptedProvider implements ModelProvider {
  readonly id = 'scripted';
  readonly model = 'scripted';
  readonly #book: ScriptBook;
  readonly #latencyMs: number;
  #calls = 0;

  constructor(opts: ScriptedProviderOptions = {}) {
    this.#book = new ScriptBook(opts.rules ?? []);
    this.#latencyMs = opts.latencyMs ?? 0;
  }

  setRules(rules: ScriptRule[]): void {
    this.#book.set(rules);
  }

  addRules(rules: ScriptRule[]): void {
    this.#book.add(rules);
  }

  /** Number of completed calls, for tests asserting how often the model was consulted. */
  get calls(): number {
    return this.#calls;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    req.signal?.throwIfAborted();
    if (this.#latencyMs > 0) await sleep(this.#latencyMs);
    req.signal?.throwIfAborted();
    const n = ++this.#calls;
    const reply = this.#book.reply({ messages: req.messages, ...(req.tools ? { tools: req.tools } : {}), ...(req.agentId !== undefined ? { agentId: req.agentId } : {}) });
    const fault = reply.rule?.fault;
    // In-process there is no wire to break: a fault is the ProviderError the HTTP client would have raised.
    if (fault) {
      if ('hangMs' in fault) await sleep(fault.hangMs, undefined, req.signal ? { signal: req.signal } : {});
      const status = 'status' in fault ? fault.status : undefined;
      throw new ProviderError(`scripted fault ${JSON.stringify(fault)}`, {
        provider: this.id, kind: status === 429 ? 'throttled' : 'hangMs' in fault ? 'timeout' : 'unavailable',
        ...(status !== undefined ? { status } : {}),
        ...('retryAfterSeconds' in fault && fault.retryAfterSeconds !== undefined ? { retryAfterMs: fault.retryAfterSeconds * 1000 } : {}),
      });
    }
    const text = reply.text ?? '';
    const toolCalls: ToolCall[] = (reply.toolCalls ?? []).map((c, i) => ({ id: `call_${n}_${i}`, name: c.name, arguments: c.arguments }));
    return {
      text,
      toolCalls,
      usage: estimateUsage(req.messages, text, toolCalls),
      stopReason: toolCalls.length ? 'tool_use' : 'end',
    };
  }
}
