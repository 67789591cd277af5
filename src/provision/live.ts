import { z } from 'zod';
import type { OrgDirectory } from '../org/directory.ts';
import type { Level, Person } from '../org/types.ts';

const count = z.number().int().min(0);

/** Head-counts of live agents in one department, as the seed's config has them. */
const departmentCountsSchema = z.strictObject({
  vp: count.optional(),
  directors: count.optional(),
  managers: count.optional(),
  ics: count.optional(),
});

/**
 * Which employees the fleet staffs with a live agent: 'all', 'none', per-department head-counts
 * ({ Engineering: { vp: 1, directors: 2, managers: 3, ics: 10 } }), or an explicit list of matrix ids / localparts.
 */
export const liveAgentsSchema = z.union([
  z.enum(['all', 'none']),
  z.array(z.string().min(1)),
  z.record(z.string().min(1), departmentCountsSchema),
]);

export type LiveAgentsConfig = z.infer<typeof liveAgentsSchema>;

const COUNT_KEYS: Record<Exclude<Level, 'CEO'>, keyof z.infer<typeof departmentCountsSchema>> = {
  VP: 'vp', Director: 'directors', Manager: 'managers', IC: 'ics',
};

/**
 * The matrix ids of the live agents. Humans are never agents. Head-counts take the first people of each level in
 * directory order, so the same config always staffs the same people. Unknown departments or people throw.
 */
export function selectLiveAgents(org: OrgDirectory, cfg: LiveAgentsConfig): Set<string> {
  const agents = org.agents();
  if (cfg === 'all') return new Set(agents.map((p) => p.matrixId));
  if (cfg === 'none') return new Set();
  if (Array.isArray(cfg)) {
    const out = new Set<string>();
    const unknown: string[] = [];
    for (const ref of cfg) {
      const p = org.resolve(ref);
      if (!p) unknown.push(ref);
      else if (!p.human) out.add(p.matrixId);
    }
    if (unknown.length) throw new Error(`live agents: not in the org directory: ${unknown.join(', ')}`);
    return out;
  }
  const out = new Set<string>();
  const known = new Map(org.departments().map((d) => [d.toLowerCase(), d]));
  for (const [deptName, counts] of Object.entries(cfg)) {
    const dept = known.get(deptName.trim().toLowerCase());
    if (!dept) throw new Error(`live agents: unknown department '${deptName}' (departments: ${[...known.values()].join(', ')})`);
    const taken = new Map<string, number>();
    for (const p of org.department(dept)) {
      if (p.human || p.level === 'CEO') continue;
      const key = COUNT_KEYS[p.level];
      const used = taken.get(key) ?? 0;
      if (used >= (counts[key] ?? 0)) continue;
      taken.set(key, used + 1);
      out.add(p.matrixId);
    }
  }
  return out;
}

/** What the router answers, as the employee, to a message for someone the fleet does not staff. */
export function notStaffedNotice(person: Person): string {
  return `${person.name} (${person.title}, ${person.department}) is not staffed by an AI agent in this fleet right now, `
    + 'so this message will not be answered. Please reach out to someone else on the team.';
}
