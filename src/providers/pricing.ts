import { z } from 'zod';
import type { Usage } from './types.ts';

export const modelPriceSchema = z.strictObject({
  inputPerMTok: z.number().min(0),
  outputPerMTok: z.number().min(0),
});

/** USD per million tokens. */
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/**
 * Starting point only: Bedrock on-demand list prices (USD per million tokens, us-east-1) as published when this was
 * written. Prices change and differ by region, tier and batch/provisioned use — check
 * https://aws.amazon.com/bedrock/pricing/ and override them under `model.prices` in the fleet config.
 */
export const DEFAULT_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'anthropic.claude-sonnet-4-5-20250929-v1:0': { inputPerMTok: 3, outputPerMTok: 15 },
  'anthropic.claude-sonnet-4-20250514-v1:0': { inputPerMTok: 3, outputPerMTok: 15 },
  'anthropic.claude-3-7-sonnet-20250219-v1:0': { inputPerMTok: 3, outputPerMTok: 15 },
  'anthropic.claude-3-5-sonnet-20241022-v2:0': { inputPerMTok: 3, outputPerMTok: 15 },
  'anthropic.claude-haiku-4-5-20251001-v1:0': { inputPerMTok: 1, outputPerMTok: 5 },
  'anthropic.claude-3-5-haiku-20241022-v1:0': { inputPerMTok: 0.8, outputPerMTok: 4 },
  'anthropic.claude-3-haiku-20240307-v1:0': { inputPerMTok: 0.25, outputPerMTok: 1.25 },
  'meta.llama3-3-70b-instruct-v1:0': { inputPerMTok: 0.72, outputPerMTok: 0.72 },
  'meta.llama3-1-70b-instruct-v1:0': { inputPerMTok: 0.72, outputPerMTok: 0.72 },
  'meta.llama3-1-8b-instruct-v1:0': { inputPerMTok: 0.22, outputPerMTok: 0.22 },
  'amazon.nova-pro-v1:0': { inputPerMTok: 0.8, outputPerMTok: 3.2 },
  'amazon.nova-lite-v1:0': { inputPerMTok: 0.06, outputPerMTok: 0.24 },
  'amazon.nova-micro-v1:0': { inputPerMTok: 0.035, outputPerMTok: 0.14 },
};

// Cross-region inference profiles (`us.anthropic...`) bill like the underlying model.
const INFERENCE_PROFILE_PREFIX = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\./;

export function priceFor(modelId: string, prices: Readonly<Record<string, ModelPrice>>): ModelPrice | undefined {
  for (const id of [modelId, modelId.replace(INFERENCE_PROFILE_PREFIX, '')]) {
    if (Object.hasOwn(prices, id)) return prices[id];
  }
  return undefined;
}

/** Estimated USD cost of one call; undefined when the model has no known price (so callers never report a false $0). */
export function estimateCostUsd(
  modelId: string,
  usage: Usage,
  prices: Readonly<Record<string, ModelPrice>> = DEFAULT_MODEL_PRICES,
): number | undefined {
  const price = priceFor(modelId, prices);
  if (!price) return undefined;
  return (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok) / 1_000_000;
}
