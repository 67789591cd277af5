import type { OrgDirectory } from '../org/directory.ts';
import type { Verdict } from './budgets.ts';
import type { ScopeKey, Unit } from './limits.ts';

export const describeAmount = (unit: Unit, n: number): string =>
  unit === 'usd' ? `$${n.toFixed(n >= 1 ? 2 : 4)}` : `${Math.round(n).toLocaleString('en-US')} tokens`;

/** `Aaron Phillips`, `Engineering`, `the fleet`. */
export function scopeLabel(org: OrgDirectory, scope: ScopeKey): string {
  if (scope === 'fleet') return 'the fleet';
  if (scope.startsWith('department:')) return scope.slice('department:'.length);
  const id = scope.slice('agent:'.length);
  return org.get(id)?.name ?? id;
}

/** What the sender of a message to an agent over budget reads (once per room and day). */
export function overBudgetNotice(org: OrgDirectory, v: Verdict): string {
  const whose = v.scope === 'fleet' ? "the fleet's monthly budget" : v.scope.startsWith('department:')
    ? `the monthly budget of ${scopeLabel(org, v.scope)}` : 'my monthly budget';
  return `I'm paused: ${whose} is used up (${describeAmount(v.unit, v.spent)} of ${describeAmount(v.unit, v.limit)}), `
    + "so I won't answer this message, today or later. Messages after a new month or a raised budget are answered "
    + '(admins: `budget set` in #fleet-admin).';
}

/** What #fleet-admin reads, once per scope, month and limit. */
export function overBudgetAlert(org: OrgDirectory, v: Verdict, month: string): string {
  const label = scopeLabel(org, v.scope);
  const who = v.scope === 'fleet' ? 'Every agent is' : v.scope.startsWith('department:') ? `Every agent of ${label} is` : `${label} is`;
  const arg = v.scope === 'fleet' ? 'fleet' : v.scope.startsWith('department:') ? label : v.scope.slice('agent:'.length);
  return `Budget used up: ${label} spent ${describeAmount(v.unit, v.spent)} of ${describeAmount(v.unit, v.limit)} in ${month}. `
    + `${who} paused (no model calls; messages get a notice and are not answered) until the month ends or `
    + `"budget set ${arg} <amount>" raises it.`;
}
