import type { AgentCoreModule, LlmModule } from './core-types.ts';

export interface LoadedCore { core: AgentCoreModule; llm: LlmModule }

// Specifiers held in variables: the entry points have no type declarations, and core-types.ts describes them.
const AGENT_CORE = 'openclaw/plugin-sdk/agent-core';
const LLM = 'openclaw/plugin-sdk/llm';

let loading: Promise<LoadedCore> | undefined;

/**
 * Imports OpenClaw's agent-core once per process (about 1 s and 100 MiB the first time, shared by every agent
 * afterwards). Callers start it early so the first turn does not pay for it.
 */
export function loadAgentCore(): Promise<LoadedCore> {
  loading ??= Promise.all([import(AGENT_CORE), import(LLM)]).then(([core, llm]) => {
    const c = core as Partial<AgentCoreModule>;
    const l = llm as Partial<LlmModule>;
    if (typeof c.Agent !== 'function' || typeof l.createAssistantMessageEventStream !== 'function') {
      throw new Error('openclaw agent-core: expected exports Agent and createAssistantMessageEventStream are missing (openclaw version changed?)');
    }
    return { core: c as AgentCoreModule, llm: l as LlmModule };
  });
  loading.catch(() => {
    loading = undefined; // let a later call retry instead of caching the failure forever
  });
  return loading;
}
