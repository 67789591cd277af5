/** What a shard asks the router before an agent messages a human (POST HUMAN_QUOTA_PATH with the shard's own token). */
import { z } from 'zod';

export const HUMAN_QUOTA_PATH = '/_fleet/v1/human-messages';

/** Default of agents.maxMessagesToHumanPerDay. */
export const DEFAULT_MESSAGES_TO_HUMAN_PER_DAY = 20;

export const humanQuotaRequestSchema = z.strictObject({
  shardId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  /** The message's transaction id (matrix/txn-id.ts): what makes a retry the same message. */
  txn: z.string().min(1).max(200),
  human: z.string().max(255).regex(/^@[^\s:]+:\S+$/),
});
export type HumanQuotaRequest = z.infer<typeof humanQuotaRequestSchema>;

export type HumanQuotaAnswer = { allowed: true } | { allowed: false; limit: number };

/** What the model is told when the day's messages to this person are used up. */
export const quotaRefusal = (limit: number): string => `agents have already sent this person ${limit} messages today (the limit).`;
