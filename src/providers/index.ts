import { z } from 'zod';
import { BedrockProvider } from './bedrock.ts';
import { OpenAICompatibleProvider } from './openai-compatible.ts';
import type { ScriptRule } from './scripted/brain.ts';
import { ScriptedProvider } from './scripted/provider.ts';
import { scriptRulesSchema } from './scripted/script-book.ts';
import type { ModelProvider } from './types.ts';

export * from './types.ts';
export { withProviderRetry, retryAfterMsFromHeaders, type ProviderRetryOptions } from './retry.ts';
export { OpenAICompatibleProvider, type OpenAICompatibleOptions } from './openai-compatible.ts';
export { BedrockProvider, type BedrockProviderOptions } from './bedrock.ts';
export { DEFAULT_MODEL_PRICES, estimateCostUsd, modelPriceSchema, type ModelPrice } from './pricing.ts';
// ProviderSelector/modelSelectionSchema live in './select.ts' and are not re-exported here: select.ts builds on
// providerConfigSchema from this module, and re-exporting it would make an import cycle.
export { ScriptedProvider, type ScriptedProviderOptions } from './scripted/provider.ts';
export { scriptedReply, type ScriptRule, type ScriptedReply } from './scripted/brain.ts';
export { startScriptedModelServer, type ScriptedModelServer, type RecordedRequest } from './scripted/server.ts';

const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+/, 'must be an http(s) URL such as http://127.0.0.1:11434/v1');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const providerConfigSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('scripted'),
    rules: scriptRulesSchema.optional(),
    latencyMs: z.number().int().min(0).optional(),
  }),
  z.object({
    kind: z.literal('openai'),
    baseUrl: httpUrl,
    model: z.string().min(1),
    /** Name of the environment variable holding the API key; the key itself never lives in config files. */
    apiKeyEnv: envName.optional(),
    stream: z.boolean().default(false),
    timeoutMs: z.number().int().min(100).default(120_000),
    retries: z.number().int().min(0).max(20).default(3),
  }),
  z.object({
    kind: z.literal('bedrock'),
    region: z.string().min(1),
    modelId: z.string().min(1),
    profile: z.string().optional(),
    stream: z.boolean().default(true),
    timeoutMs: z.number().int().min(100).default(120_000),
    retries: z.number().int().min(0).max(20).default(3),
  }),
]);

/** Accepts configs with defaults omitted (the schema's input); createProvider applies the defaults itself. */
export type ProviderConfig = z.input<typeof providerConfigSchema>;

export function createProvider(cfg: ProviderConfig, env: NodeJS.ProcessEnv = process.env, extra: { throttledToCaller?: boolean } = {}): ModelProvider {
  const parsed = providerConfigSchema.parse(cfg);
  switch (parsed.kind) {
    case 'scripted':
      return new ScriptedProvider({
        ...(parsed.rules ? { rules: parsed.rules as ScriptRule[] } : {}),
        ...(parsed.latencyMs !== undefined ? { latencyMs: parsed.latencyMs } : {}),
      });
    case 'openai': {
      let apiKey: string | undefined;
      if (parsed.apiKeyEnv) {
        apiKey = env[parsed.apiKeyEnv];
        if (!apiKey) throw new Error(`model provider: environment variable ${parsed.apiKeyEnv} (apiKeyEnv) is not set`);
      }
      return new OpenAICompatibleProvider({
        baseUrl: parsed.baseUrl,
        model: parsed.model,
        ...(apiKey ? { apiKey } : {}),
        stream: parsed.stream,
        timeoutMs: parsed.timeoutMs,
        retries: parsed.retries,
        ...extra,
      });
    }
    case 'bedrock':
      return new BedrockProvider({
        region: parsed.region,
        modelId: parsed.modelId,
        ...(parsed.profile ? { profile: parsed.profile } : {}),
        stream: parsed.stream,
        timeoutMs: parsed.timeoutMs,
        retries: parsed.retries,
        ...extra,
      });
  }
}
