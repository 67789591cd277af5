import type { Usage } from '../../providers/types.ts';
import type { CoreAgent, CoreAssistantMessage, CoreMessage, CoreTool } from './core-types.ts';
import type { AgentLoopEngine, AgentLoopSession, LoopRequest, LoopResult } from './engine.ts';
import { loadAgentCore, type LoadedCore } from './load-core.ts';
import { coreModelFor, coreUsage, providerStreamFn, type RunBudget } from './provider-stream.ts';

const ZERO_USAGE = coreUsage({ inputTokens: 0, outputTokens: 0 });

function historyMessages(req: LoopRequest): CoreMessage[] {
  const model = coreModelFor(req.provider);
  return req.history.map((h): CoreMessage => (h.role === 'user'
    ? { role: 'user', content: h.content, timestamp: 0 }
    : { role: 'assistant', content: [{ type: 'text', text: h.content }], api: model.api, provider: model.provider, model: model.id, usage: ZERO_USAGE, stopReason: 'stop', timestamp: 0 }));
}

function coreTools(req: LoopRequest): CoreTool[] {
  return req.tools.map((t) => ({
    name: t.spec.name,
    label: t.spec.name,
    description: t.spec.description,
    parameters: t.spec.parameters,
    async execute(_id, params, signal) {
      return { content: [{ type: 'text', text: await t.execute(params, signal) }], details: {} };
    },
  }));
}

function lastAssistant(messages: CoreMessage[], from: number): CoreAssistantMessage | undefined {
  for (let i = messages.length - 1; i >= from; i--) {
    const m = messages[i];
    if (m?.role === 'assistant') return m;
  }
  return undefined;
}

/** One warm agent: an agent-core `Agent` reused across turns; each turn installs that room's context first. */
class AgentCoreSession implements AgentLoopSession {
  readonly #loaded: LoadedCore;
  readonly #agentId: string;
  #agent: CoreAgent | undefined;
  #run: { req: LoopRequest; budget: RunBudget } | undefined;

  constructor(loaded: LoadedCore, agentId: string) {
    this.#loaded = loaded;
    this.#agentId = agentId;
  }

  #coreAgent(): CoreAgent {
    this.#agent ??= new this.#loaded.core.Agent({
      sessionId: this.#agentId,
      toolExecution: 'sequential',
      // Resolved per call, so the one Agent serves every turn with that turn's provider, tools and budget.
      streamFn: (model, context, options) => {
        const run = this.#run;
        if (!run) throw new Error('agent-core asked for a model response outside a run');
        return providerStreamFn(this.#loaded.llm, run.req.provider, run.req.agentId, run.budget, run.req.tools.map((t) => t.spec))(model, context, options);
      },
    });
    return this.#agent;
  }

  async run(req: LoopRequest): Promise<LoopResult> {
    req.signal?.throwIfAborted();
    const agent = this.#coreAgent();
    const usage: Usage = { inputTokens: 0, outputTokens: 0 };
    const budget: RunBudget = { rounds: 0, maxToolRounds: req.maxToolRounds, usage };
    agent.reset();
    agent.state.systemPrompt = req.systemPrompt;
    agent.state.model = coreModelFor(req.provider);
    agent.state.tools = coreTools(req);
    agent.state.messages = historyMessages(req);
    const start = agent.state.messages.length;
    const onAbort = (): void => agent.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    this.#run = { req, budget };
    try {
      await agent.prompt(req.userText);
      await agent.waitForIdle();
    } finally {
      this.#run = undefined;
      req.signal?.removeEventListener('abort', onAbort);
    }
    req.signal?.throwIfAborted();
    const final = lastAssistant(agent.state.messages, start);
    if (budget.error !== undefined) throw budget.error;
    if (!final || final.stopReason === 'error' || final.stopReason === 'aborted') {
      throw new Error(`agent loop failed: ${final?.errorMessage ?? agent.state.errorMessage ?? 'no answer from the model'}`);
    }
    const text = final.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
    // Drop the run's messages: the workspace transcript is the memory, and a hibernation-ready agent holds nothing.
    agent.reset();
    return { text, usage, rounds: budget.rounds };
  }
}

/** OpenClaw's low-level agent loop (openclaw/plugin-sdk/agent-core) with our ModelProvider as the model. */
export class AgentCoreEngine implements AgentLoopEngine {
  readonly name = 'openclaw-agent-core';

  async prepare(): Promise<void> {
    await loadAgentCore();
  }

  async open(agentId: string): Promise<AgentLoopSession> {
    return new AgentCoreSession(await loadAgentCore(), agentId);
  }
}
