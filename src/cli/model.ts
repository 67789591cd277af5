import { join } from 'node:path';
import { OpenClawAgentRuntime } from '../agents/openclaw/index.ts';
import type { AgentRuntime, AgentServices } from '../agents/runtime.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { RateLimitedProvider, rateLimited } from '../shard/limits/index.ts';
import { createProvider, DEFAULT_MODEL_PRICES, estimateCostUsd, providerConfigSchema, startScriptedModelServer, type ModelPrice, type ProviderConfig, type Usage } from '../providers/index.ts';
import { ProviderSelector } from '../providers/select.ts';
import { ConfigError } from '../config/load.ts';
import type { FleetContext } from './context.ts';

export interface ModelService {
  /** Environment for shard processes so they reach the model the way production reaches a real one. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * With the offline default (`kind: scripted`) the scripted model runs as a local OpenAI-compatible server, and shards
 * are pointed at it as an `openai` provider: the same HTTP path a real Ollama or vLLM endpoint takes.
 */
export async function startModelService(ctx: FleetContext): Promise<ModelService> {
  const cfg = modelConfig(ctx);
  if (cfg.kind !== 'scripted') return { env: {}, close: async () => {} };
  const server = await startScriptedModelServer({ port: ctx.config.model.scriptedPort ?? 0, ...(cfg.rules ? { rules: cfg.rules as never } : {}) });
  const asOpenAI = JSON.stringify({ kind: 'openai', baseUrl: server.url, model: 'scripted', stream: true });
  return { env: { FLEET_MODEL__DEFAULT: asOpenAI }, close: () => server.close() };
}

export function modelConfig(ctx: FleetContext): ProviderConfig {
  const parsed = providerConfigSchema.safeParse(ctx.config.model.default);
  if (!parsed.success) {
    throw new ConfigError(ctx.file, parsed.error.issues.map((i) => `model.default.${i.path.join('.')}: ${i.message}`));
  }
  return ctx.config.model.default as ProviderConfig;
}

/** The agents' runtime for a shard: OpenClaw agent loops, each agent's model chosen by level or id from config. */
export function createRuntime(ctx: FleetContext, org: OrgDirectory): { runtime: (services: AgentServices) => AgentRuntime; limitStats: () => unknown } {
  let selector: ProviderSelector;
  try {
    // scriptedPort belongs to `up`, not to the selection of providers.
    const { scriptedPort: _port, ...selection } = ctx.config.model;
    // Every provider is shared by the shard's agents behind one limiter, which also owns throttling (429) handling.
    selector = new ProviderSelector(selection as never, {
      factory: (cfg) => rateLimited(createProvider(cfg, process.env, { throttledToCaller: true }), ctx.config.limits),
    });
  } catch (err) {
    throw new ConfigError(ctx.file, [(err as Error).message]);
  }
  const limitStats = () => selector.providers().map((p) => ({ id: p.id, model: p.model, ...(p instanceof RateLimitedProvider ? p.stats() : {}) }));
  const runtime = (services: AgentServices) => new OpenClawAgentRuntime({
    org,
    dataDir: ctx.dataDir,
    services,
    colleagueMessages: { perTurn: ctx.config.agents.maxColleagueMessagesPerTurn, perConversation: ctx.config.agents.maxColleagueMessagesPerConversation },
    providerFor: (agentId) => {
      const p = org.get(agentId)!;
      return selector.providerFor({ matrixId: p.matrixId, localpart: p.localpart, level: p.level });
    },
  });
  return { runtime, limitStats };
}

/** Estimated cost of a call from the price table: built-in list prices, overridden by `model.prices` in config. */
export function costEstimator(ctx: FleetContext): (model: string, usage: Usage) => number | undefined {
  const prices = { ...DEFAULT_MODEL_PRICES, ...((ctx.config.model as { prices?: Record<string, ModelPrice> }).prices ?? {}) };
  return (model, usage) => estimateCostUsd(model, usage, prices);
}
