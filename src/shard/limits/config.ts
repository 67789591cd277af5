import { z } from 'zod';

const perMinute = z.number().int().min(1);

/** Caps for one model provider as its vendor enforces them; unset means "no limit of ours". */
export const providerLimitsSchema = z.strictObject({
  /** Requests per minute. */
  rpm: perMinute.optional(),
  /** Tokens (input + output) per minute. */
  tpm: perMinute.optional(),
  /** Calls in flight at once. */
  concurrency: z.number().int().min(1).default(16),
});

export const limitsSchema = z.strictObject({
  /** Agent turns (model conversations) running at once in one shard process. */
  shardConcurrentTurns: z.number().int().min(1).default(32),
  /** Turns one agent may start per minute; more wait for the window, none are dropped. */
  agentTurnsPerMinute: perMinute.default(6),
  /** Replies per room per minute, shared by all this shard's agents there; over it, agent-triggered replies are skipped. */
  roomRepliesPerMinute: perMinute.default(20),
  /** Replies to humans per room per minute that go ahead even when agents used the room's budget. */
  humanFloorPerMinute: z.number().int().min(0).default(10),
  /** Applied to every provider instance of the shard. */
  providers: providerLimitsSchema.default({ concurrency: 16 }),
  /** Per provider id (e.g. `bedrock:us-east-1`, `openai:http://127.0.0.1:11434/v1`), replacing `providers` field by field. */
  byProvider: z.record(z.string().min(1), providerLimitsSchema.partial()).optional(),
});

/** What config files may say (everything optional). */
export type LimitsInput = z.input<typeof limitsSchema>;
/** After defaults: what ShardLimits and RateLimitedProvider use. */
export type Limits = z.output<typeof limitsSchema>;
export type ProviderLimits = z.output<typeof providerLimitsSchema>;

/** The caps for one provider: the shard-wide defaults overlaid with its `byProvider` entry. */
export function providerLimitsFor(limits: Limits, providerId: string): ProviderLimits {
  const own = limits.byProvider?.[providerId] ?? {};
  const merged: ProviderLimits = { ...limits.providers };
  for (const [key, value] of Object.entries(own)) if (value !== undefined) Object.assign(merged, { [key]: value });
  return merged;
}
