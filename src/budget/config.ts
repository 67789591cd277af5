import { z } from 'zod';

/** A monthly limit in tokens (input + output) and/or estimated USD; a unit left out is not limited. */
export const budgetLimitSchema = z.strictObject({
  tokens: z.number().int().min(0).optional(),
  usd: z.number().min(0).optional(),
});
export type BudgetLimit = z.infer<typeof budgetLimitSchema>;

/** config `budgets`: per calendar month (UTC). Live `budget set` overrides in the router's SQLite win over these. */
export const budgetsSchema = z.object({
  /** The whole fleet. */
  fleet: budgetLimitSchema.default({}),
  /** Every agent that `agents` does not name. */
  perAgent: budgetLimitSchema.default({}),
  /** By department name, as in the org (`Engineering`). */
  departments: z.record(z.string(), budgetLimitSchema).default({}),
  /** By localpart or matrix id. */
  agents: z.record(z.string(), budgetLimitSchema).default({}),
});
export type BudgetsConfig = z.infer<typeof budgetsSchema>;
