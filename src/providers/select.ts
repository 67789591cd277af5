/**
 * Which model each agent talks to: one default, overridable per org level and per agent. Agents with the same
 * effective config share one provider instance (one HTTP/SDK client, one connection pool) however many there are.
 */
import { z } from 'zod';
import { createProvider, providerConfigSchema, type ProviderConfig } from './index.ts';
import { DEFAULT_MODEL_PRICES, modelPriceSchema, type ModelPrice } from './pricing.ts';
import type { ModelProvider } from './types.ts';

export const AGENT_LEVELS = ['CEO', 'VP', 'Director', 'Manager', 'IC'] as const;
export type AgentLevel = (typeof AGENT_LEVELS)[number];

// Strict objects so a misspelt level or section ("Vp", "byLevels") is an error rather than silently ignored.
export const modelSelectionSchema = z.strictObject({
  default: providerConfigSchema,
  byLevel: z.strictObject({
    CEO: providerConfigSchema.optional(),
    VP: providerConfigSchema.optional(),
    Director: providerConfigSchema.optional(),
    Manager: providerConfigSchema.optional(),
    IC: providerConfigSchema.optional(),
  }).optional(),
  /** Keyed by matrix id (`@sam.lee:anycompany.corp`) or localpart (`sam.lee`); the matrix id wins if both match. */
  byAgent: z.record(z.string().min(1), providerConfigSchema).optional(),
  /** Per model id, overriding/adding to DEFAULT_MODEL_PRICES. */
  prices: z.record(z.string().min(1), modelPriceSchema).optional(),
});

export type ModelSelection = z.input<typeof modelSelectionSchema>;
export type ParsedModelSelection = z.output<typeof modelSelectionSchema>;

export interface AgentIdentity {
  matrixId: string;
  localpart: string;
  level: string;
}

export type ProviderFactory = (cfg: ProviderConfig) => ModelProvider;

export interface ProviderSelectorOptions {
  /** Defaults to createProvider; tests inject a fake. */
  factory?: ProviderFactory;
  /** Prefix of the config key in error messages. Default 'model'. */
  configKey?: string;
}

/** Validates a raw model selection, throwing one error that names every bad key, e.g. `model.byLevel.VP.region: ...`. */
export function parseModelSelection(raw: unknown, configKey = 'model'): ParsedModelSelection {
  const result = modelSelectionSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${keyPath(configKey, issue.path)}: ${issue.message}`);
  throw new Error(`invalid model selection:\n  ${lines.join('\n  ')}`);
}

export class ProviderSelector {
  /** DEFAULT_MODEL_PRICES overlaid with the configured `prices`, for estimateCostUsd. */
  readonly prices: Readonly<Record<string, ModelPrice>>;
  readonly #default: ModelProvider;
  readonly #byLevel = new Map<string, ModelProvider>();
  readonly #byAgent = new Map<string, ModelProvider>();
  readonly #shared = new Map<string, ModelProvider>();

  /** Builds every configured provider now, so a bad config fails at startup and not at some agent's first message. */
  constructor(selection: ModelSelection, opts: ProviderSelectorOptions = {}) {
    const configKey = opts.configKey ?? 'model';
    const factory = opts.factory ?? ((cfg: ProviderConfig) => createProvider(cfg));
    const parsed = parseModelSelection(selection, configKey);
    const build = (cfg: ProviderConfig, path: string): ModelProvider => {
      const key = stableJson(cfg);
      let provider = this.#shared.get(key);
      if (!provider) {
        try {
          provider = factory(cfg);
        } catch (err) {
          throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
        this.#shared.set(key, provider);
      }
      return provider;
    };
    this.#default = build(parsed.default, `${configKey}.default`);
    for (const level of AGENT_LEVELS) {
      const cfg = parsed.byLevel?.[level];
      if (cfg) this.#byLevel.set(level, build(cfg, `${configKey}.byLevel.${level}`));
    }
    for (const [agent, cfg] of Object.entries(parsed.byAgent ?? {})) {
      this.#byAgent.set(agent, build(cfg, `${configKey}.byAgent.${agent}`));
    }
    this.prices = { ...DEFAULT_MODEL_PRICES, ...parsed.prices };
  }

  /** Precedence: byAgent (matrix id, then localpart) > byLevel > default. */
  providerFor(agent: AgentIdentity): ModelProvider {
    return this.#byAgent.get(agent.matrixId)
      ?? this.#byAgent.get(agent.localpart)
      ?? this.#byLevel.get(agent.level)
      ?? this.#default;
  }

  /** Each distinct provider once, e.g. for health checks or metrics labels. */
  providers(): ModelProvider[] {
    return [...this.#shared.values()];
  }
}

function keyPath(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].join('.');
}

/** JSON with sorted object keys, so configs that differ only in key order share a provider. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
