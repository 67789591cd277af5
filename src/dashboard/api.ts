import type { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';
import type { AgentView } from '../router/fleet-view.ts';

/** Shapes of the JSON API (and the filtering the pages share with it). */

/**
 * `show`: active (answered at least once), live (staffed), or all. `q` matches name, id, title, department, team or
 * shard. Most recent turn first, then by name.
 */
export function agentsApi(agents: readonly AgentView[], opts: { q: string; show: string }): AgentView[] {
  const q = opts.q.trim().toLowerCase();
  return agents
    .filter((a) => opts.show === 'active' ? a.turns > 0 : opts.show === 'live' ? a.live : true)
    .filter((a) => !q || [a.name, a.agentId, a.title, a.department, a.team ?? '', a.shardId ?? ''].some((f) => f.toLowerCase().includes(q)))
    .sort((a, b) => (b.lastTurnAt ?? 0) - (a.lastTurnAt ?? 0) || a.name.localeCompare(b.name));
}

export interface PersonSummary {
  matrixId: string;
  name: string;
  title: string;
  level: string;
  department: string;
  team: string | null;
  human: boolean;
}

const summary = (p: Person): PersonSummary => ({
  matrixId: p.matrixId, name: p.name, title: p.title, level: p.level, department: p.department, team: p.team, human: p.human,
});

/** Search (`q`), a department, a team within it, or without any of them the departments and their teams. */
export function orgApi(org: OrgDirectory, opts: { q: string; department: string; team: string }): unknown {
  if (opts.q.trim()) return { people: org.search(opts.q, 100).map(summary) };
  if (opts.department && opts.team) return { people: org.team(opts.team, opts.department).map(summary) };
  if (opts.department) return { people: org.department(opts.department).map(summary) };
  return {
    size: org.size,
    departments: org.departments().map((name) => ({
      name, people: org.department(name).length,
      teams: org.teams().filter((t) => t.department === name).map((t) => ({ name: t.team, people: org.team(t.team, name).length })),
    })),
  };
}

/** A person with their manager chain (nearest first) and direct reports; by matrix id or localpart. */
export function personApi(org: OrgDirectory, ref: string): unknown {
  const p = org.get(ref) ?? org.byLocalpart(ref.replace(/^@/, ''));
  if (!p) return undefined;
  return { ...summary(p), managerChain: org.chain(p.matrixId).map(summary), reports: org.reports(p.matrixId).map(summary) };
}
