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

/** Rows per page of the agents page; the JSON API's default and largest `limit` (a 10,000-agent list is ~3 MB). */
export const AGENTS_PAGE_SIZE = 200;
export const AGENTS_API_MAX = 1000;

/** Page `page` (1-based, clamped into range) of `items`, and how many pages there are. */
export function pageOf<T>(items: readonly T[], page: number, size: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const at = Math.min(pages, Math.max(1, Number.isSafeInteger(page) ? page : 1));
  return { items: items.slice((at - 1) * size, at * size), page: at, pages };
}

/** `limit` (default and at most AGENTS_API_MAX) and `offset` of the agents API, from query strings. */
export function agentsWindow(limit: string | undefined, offset: string | undefined): { start: number; end: number } {
  const n = Math.min(AGENTS_API_MAX, Math.max(1, Number(limit) || AGENTS_API_MAX));
  const start = Math.max(0, Math.floor(Number(offset) || 0));
  return { start, end: start + n };
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
