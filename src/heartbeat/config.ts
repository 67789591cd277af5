import { z } from 'zod';
import { LEVELS } from '../org/types.ts';

const optIn = z.strictObject({
  /** false opts one agent out of its level's heartbeat. */
  enabled: z.boolean().default(true),
  intervalMinutes: z.number().min(1).max(7 * 24 * 60).optional(),
});

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM, e.g. 20:00');
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as UTC or Europe/Paris');

/**
 * config `heartbeat`: off unless a level or an agent opts in. The seed prompted every agent every 5 minutes whether
 * it had anything to do; here only agents with open tasks, within budget and outside night hours are woken.
 */
export const heartbeatSchema = z.object({
  intervalMinutes: z.number().min(1).max(7 * 24 * 60).default(30),
  /** Each beat is moved by up to this much either way, so agents opted in together do not all wake at once. */
  jitterMinutes: z.number().min(0).max(24 * 60).default(5),
  levels: z.partialRecord(z.enum(LEVELS as [string, ...string[]]), optIn).default({}),
  /** By localpart or matrix id; wins over the agent's level. */
  agents: z.record(z.string(), optIn).default({}),
  /** No beat between from and to (wrapping midnight when from > to), in timeZone. */
  nightHours: z.strictObject({ from: clockTime, to: clockTime }).optional(),
  timeZone: timeZone.default('UTC'),
});
export type HeartbeatConfig = z.infer<typeof heartbeatSchema>;
