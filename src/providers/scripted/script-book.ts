import { z } from 'zod';
import { scriptedReply, type ScriptedReply, type ScriptedRequest, type ScriptRule } from './brain.ts';

const regexSource = z.string().refine((s) => {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

// Strict: a misspelt key (say "respond" for "reply") would otherwise leave a rule that silently matches everything.
export const scriptRuleSchema = z.strictObject({
  id: z.string().optional(),
  agent: z.string().optional(),
  when: z.enum(['user', 'tool']).optional(),
  match: regexSource.optional(),
  reply: z.string().optional(),
  toolCalls: z.array(z.object({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()) })).optional(),
  times: z.number().int().min(1).optional(),
  fault: z.union([
    z.strictObject({ status: z.number().int().min(400).max(599), retryAfterSeconds: z.number().min(0).optional() }),
    z.strictObject({ hangMs: z.number().int().min(1) }),
    z.strictObject({ malformedStream: z.enum(['truncated', 'garbage']) }),
  ]).optional(),
});

export const scriptRulesSchema = z.array(scriptRuleSchema);

/**
 * The mutable half of the scripted model: the current rule list and how often each rule has been used, so `times`
 * can retire rules while scriptedReply itself stays pure.
 */
export class ScriptBook {
  #rules: ScriptRule[] = [];
  readonly #uses = new Map<ScriptRule, number>();

  constructor(rules: ScriptRule[] = []) {
    this.set(rules);
  }

  /** Replace all rules (and forget usage counts). Throws on an invalid rule. */
  set(rules: ScriptRule[]): void {
    this.#rules = validate(rules);
    this.#uses.clear();
  }

  /** Append rules after the existing ones; earlier rules keep priority. */
  add(rules: ScriptRule[]): void {
    this.#rules.push(...validate(rules));
  }

  rules(): ScriptRule[] {
    return this.#rules.filter((r) => !this.#exhausted(r));
  }

  reply(req: ScriptedRequest): ScriptedReply {
    const reply = scriptedReply(req, this.rules());
    if (reply.rule) this.#uses.set(reply.rule, (this.#uses.get(reply.rule) ?? 0) + 1);
    return reply;
  }

  #exhausted(rule: ScriptRule): boolean {
    return rule.times !== undefined && (this.#uses.get(rule) ?? 0) >= rule.times;
  }
}

function validate(rules: ScriptRule[]): ScriptRule[] {
  // Copies, so the same rule object passed twice is still counted as two rules.
  return scriptRulesSchema.parse(rules).map((r) => ({ ...r }) as ScriptRule);
}
