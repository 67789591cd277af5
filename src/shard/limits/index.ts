import type { ModelProvider } from '../../providers/types.ts';
import { providerLimitsFor, type Limits } from './config.ts';
import { RateLimitedProvider, type RateLimitedProviderOptions } from './provider-limiter.ts';

export * from './config.ts';
export * from './provider-limiter.ts';
export * from './shard-limits.ts';

/** Wraps a provider with the caps configured for its id (`providers` overlaid with `byProvider[provider.id]`). */
export function rateLimited(inner: ModelProvider, limits: Limits, extra: Omit<RateLimitedProviderOptions, 'rpm' | 'tpm' | 'concurrency'> = {}): RateLimitedProvider {
  const { rpm, tpm, concurrency } = providerLimitsFor(limits, inner.id);
  return new RateLimitedProvider(inner, {
    ...extra,
    concurrency,
    ...(rpm !== undefined ? { rpm } : {}),
    ...(tpm !== undefined ? { tpm } : {}),
  });
}
