import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_PRICES, estimateCostUsd, modelPriceSchema } from '../../../src/providers/pricing.ts';

describe('estimateCostUsd', () => {
  const prices = { 'acme.model-v1': { inputPerMTok: 2, outputPerMTok: 10 } };

  it('prices input and output tokens per million', () => {
    expect(estimateCostUsd('acme.model-v1', { inputTokens: 500_000, outputTokens: 100_000 }, prices)).toBeCloseTo(2);
    expect(estimateCostUsd('acme.model-v1', { inputTokens: 0, outputTokens: 0 }, prices)).toBe(0);
  });

  it('is undefined for a model without a price, including inherited object keys', () => {
    expect(estimateCostUsd('acme.other', { inputTokens: 10, outputTokens: 10 }, prices)).toBeUndefined();
    expect(estimateCostUsd('constructor', { inputTokens: 10, outputTokens: 10 }, prices)).toBeUndefined();
  });

  it('bills cross-region inference profiles like the underlying model', () => {
    expect(estimateCostUsd('us.acme.model-v1', { inputTokens: 1_000_000, outputTokens: 0 }, prices)).toBe(2);
    expect(estimateCostUsd('eu.anthropic.claude-3-5-sonnet-20241022-v2:0', { inputTokens: 1_000_000, outputTokens: 1_000_000 }))
      .toBe(18);
  });

  it('ships a valid default table covering Claude, Llama and Nova', () => {
    for (const price of Object.values(DEFAULT_MODEL_PRICES)) expect(modelPriceSchema.safeParse(price).success).toBe(true);
    for (const family of ['anthropic.claude-', 'meta.llama', 'amazon.nova-']) {
      expect(Object.keys(DEFAULT_MODEL_PRICES).some((id) => id.startsWith(family))).toBe(true);
    }
  });
});
