import { answer, deny, refuse, type Answer } from '../answer.ts';
import type { AdminContext, Caller, CommandSpec } from '../context.ts';
import { resolvePerson } from '../targets.ts';
import type { Budgets, BudgetStatus } from '../../budget/budgets.ts';
import { UNITS, type ScopeKey, type Unit } from '../../budget/limits.ts';
import { describeAmount, scopeLabel } from '../../budget/wording.ts';

type Amount = { unit: Unit; amount: number | null } | { unit: 'both'; amount: null } | 'default';

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/** `$50`, `50usd`, `50 usd`, `200k tokens`, `1.5M tokens`, `none` (unlimited), `default` (back to config). */
export function parseAmount(words: readonly string[]): Amount | undefined {
  const text = words.join(' ').trim().toLowerCase();
  if (text === 'default') return 'default';
  if (text === 'none' || text === 'unlimited') return { unit: 'both', amount: null };
  const usd = /^\$\s*(\d+(?:\.\d+)?)$|^(\d+(?:\.\d+)?)\s*(?:usd|\$)$/.exec(text);
  if (usd) return { unit: 'usd', amount: Number(usd[1] ?? usd[2]) };
  const tokens = /^(\d+(?:\.\d+)?)\s*([kmg]?)\s*tokens?$/.exec(text);
  if (tokens) return { unit: 'tokens', amount: Math.round(Number(tokens[1]) * SUFFIX[tokens[2]!]!) };
  const unitOff = /^(?:none|unlimited)\s+(tokens|usd)$/.exec(text);
  if (unitOff) return { unit: unitOff[1] as Unit, amount: null };
  return undefined;
}

/** `fleet`, a department, or one agent. */
function scopeOf(ctx: AdminContext, ref: string): { scope: ScopeKey } | { error: string } {
  if (ref.toLowerCase() === 'fleet' || ref.toLowerCase() === 'all') return { scope: 'fleet' };
  const department = ctx.org.department(ref);
  if (department.length > 0) return { scope: `department:${department[0]!.department}` };
  const one = resolvePerson(ctx.org, ref);
  if ('error' in one) return one;
  const p = one.people[0]!;
  if (p.human) return { error: `${p.name} is human: budgets are for agents, departments and the fleet.` };
  return { scope: `agent:${p.matrixId}` };
}

const limitText = (s: BudgetStatus, unit: Unit): string => {
  const max = s.limit[unit];
  const source = s.limit.source[unit];
  return max === undefined ? (source === 'live' ? 'unlimited (set live)' : 'unlimited') : `${describeAmount(unit, max)}${source === 'live' ? ' (set live)' : ''}`;
};

/** One line per scope: spent this month against each limit, and whether its agents are paused. */
export function budgetLine(ctx: AdminContext, budgets: Budgets, scope: ScopeKey): string {
  const s = budgets.status(scope);
  const units = UNITS.map((u) => `${describeAmount(u, s.spent[u])} of ${limitText(s, u)}`).join(' · ');
  const paused = s.over ? ` · OVER BUDGET (${s.over.unit}): paused until the month ends or the budget is raised` : '';
  return `${scopeLabel(ctx.org, scope)}, ${budgets.ledger.currentMonth()}: ${units}${paused}`;
}

const noBudgets = (): Answer => refuse('This router keeps no budgets.');

/** budget, budget set: monthly token and USD budgets. */
export const budgetCommands: CommandSpec[] = [
  {
    name: 'budget', category: 'Agents', args: '[who|department|fleet] | set <who|department|fleet> <amount>', changes: false,
    summary: 'monthly budgets: spend against the limits; "budget set <scope> $50 | 200k tokens | none | default" changes one (admins)',
    run(ctx, call) {
      const budgets = ctx.budgets;
      if (!budgets) return noBudgets();
      if (call.args[0]?.toLowerCase() === 'set') return setBudget(ctx, budgets, call.args.slice(1), call.caller);
      if (call.args.length > 0) {
        const target = scopeOf(ctx, call.args.join(' '));
        if ('error' in target) return refuse(target.error);
        const lines = [budgetLine(ctx, budgets, target.scope)];
        if (target.scope.startsWith('agent:')) {
          const over = budgets.overBudget(target.scope.slice('agent:'.length));
          if (over && over.scope !== target.scope) lines.push(`Paused by the budget of ${scopeLabel(ctx.org, over.scope)}.`);
        }
        return answer(lines);
      }
      const scopes = budgets.limits.limitedScopes().filter((s) => s !== 'fleet');
      const rows = scopes.map((scope) => ({ scope, s: budgets.status(scope) }))
        .filter(({ scope, s }) => !scope.startsWith('agent:') || s.over || s.limit.source.tokens === 'live' || s.limit.source.usd === 'live')
        .map(({ scope, s }) => [scopeLabel(ctx.org, scope), ...UNITS.map((u) => `${describeAmount(u, s.spent[u])} / ${limitText(s, u)}`), s.over ? 'over: paused' : 'ok']);
      return answer([budgetLine(ctx, budgets, 'fleet'), ...(rows.length ? [{ headers: ['scope', 'tokens', 'usd', 'state'], rows, page: call.page }] : [])]);
    },
  },
];

function setBudget(ctx: AdminContext, budgets: Budgets, args: string[], caller: Caller): Answer {
  if (caller.role !== 'admin') return deny('"budget set" changes the fleet: only admins (the CEO, org.admins, power level ≥ 50 here) may run it. Nothing was done.');
  // The amount is the last word, or the last two ("200k tokens", "50 usd", "none usd").
  for (const take of [2, 1]) {
    if (args.length <= take) continue;
    const amount = parseAmount(args.slice(-take));
    if (!amount) continue;
    const target = scopeOf(ctx, args.slice(0, -take).join(' '));
    if ('error' in target) return refuse(target.error);
    if (amount === 'default') budgets.reset(target.scope);
    else for (const unit of amount.unit === 'both' ? UNITS : [amount.unit]) budgets.set(target.scope, unit, amount.amount, caller.id);
    return answer([`Budget set. ${budgetLine(ctx, budgets, target.scope)}`]);
  }
  return refuse('Usage: budget set <who|department|fleet> <amount>, the amount as $50, 200k tokens, none (unlimited) or default (the config\'s).');
}
