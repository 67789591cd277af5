/**
 * The seed's company at another size. Every department keeps its share of the headcount, and the spans of control
 * stay the seed's: one manager per six heads below the directors with five ICs each, and per director about as many
 * managers as the seed's director of that department has. So teams (one director each) multiply with the size,
 * and the VP, the one level whose span must grow when the levels stay five, gains directors: Engineering has 5
 * teams at 1001 and 50 at 10,000 (Platform … QA, then Platform 2 … QA 10). At 1001 the plans are the seed's.
 */
import { DEPARTMENTS, type DepartmentPlan } from './company-data.ts';

export const SEED_ORG_SIZE = 1001;
export const ORG_SIZE_MIN = 50;
export const ORG_SIZE_MAX = 20_000;

export interface ScaledDepartment {
  name: string;
  /** Everyone in the department, VP included. */
  headcount: number;
  teams: readonly string[];
  icTitles: readonly string[];
}

/** The departments of a company of `size` people (the CEO included), in the seed's order. */
export function departmentPlans(size: number): ScaledDepartment[] {
  const seedHeadcount = DEPARTMENTS.reduce((sum, d) => sum + d.headcount, 0);
  const headcounts = apportion(DEPARTMENTS.map((d) => d.headcount), size - 1);
  const scale = (size - 1) / seedHeadcount;
  return DEPARTMENTS.map((plan, i) => {
    const headcount = headcounts[i]!;
    return { name: plan.name, headcount, teams: teamNames(plan, teamCount(plan, headcount, scale)), icTitles: plan.icTitles };
  });
}

/** Largest-remainder apportionment of `total` by `weights` (ties to the earlier one): the shares sum exactly. */
export function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w * total) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left-- <= 0) break;
    shares[i]!++;
  }
  return shares;
}

/**
 * Teams in proportion to the size, at least one (once there is room for a director), and no more than the
 * department's managers can fill: the generator hands each director ceil(managers / teams) managers in turn, so
 * too many teams would leave the last directors with nobody. Shrinking the count stops at the seed's own numbers.
 */
function teamCount(plan: DepartmentPlan, headcount: number, scale: number): number {
  if (headcount < 2) return 0;
  let teams = Math.min(headcount - 1, Math.max(1, Math.round(plan.teams.length * scale)));
  for (;;) {
    const managers = Math.floor((headcount - 1 - teams) / 6);
    if (managers === 0) return teams;
    const filled = Math.ceil(managers / Math.ceil(managers / teams));
    if (filled >= teams) return teams;
    teams = filled;
  }
}

/** The seed's team names, then numbered copies of them in turn: Platform, …, QA, Platform 2, …, QA 2, Platform 3 … */
function teamNames(plan: DepartmentPlan, count: number): string[] {
  const base = plan.teams;
  return Array.from({ length: count }, (_, j) => {
    const round = Math.floor(j / base.length);
    return round === 0 ? base[j]! : `${base[j % base.length]} ${round + 1}`;
  });
}
