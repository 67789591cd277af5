import type { OrgDirectory } from './directory.ts';
import type { Person } from './types.ts';

/** What an org reload changes about one person who stays. */
export interface OrgMove {
  before: Person;
  after: Person;
  /** e.g. `team Platform → Growth`, `title …`: the fields that differ, for an operator to read. */
  changes: string[];
}

export interface OrgDiff {
  hires: Person[];
  departures: Person[];
  moves: OrgMove[];
}

const FIELDS = ['name', 'title', 'level', 'department', 'team', 'reportsTo', 'human'] as const;

/** Who joins, who leaves and who changes (department, team, manager, title, …) between two directories. */
export function diffOrgs(before: OrgDirectory, after: OrgDirectory): OrgDiff {
  const hires = after.all().filter((p) => !before.has(p.matrixId));
  const departures = before.all().filter((p) => !after.has(p.matrixId));
  const moves: OrgMove[] = [];
  for (const p of after.all()) {
    const old = before.get(p.matrixId);
    if (!old) continue;
    const changes = FIELDS.filter((f) => old[f] !== p[f]).map((f) => `${f} ${String(old[f] ?? '—')} → ${String(p[f] ?? '—')}`);
    if (changes.length > 0) moves.push({ before: old, after: p, changes });
  }
  return { hires, departures, moves };
}

export const isEmptyDiff = (d: OrgDiff): boolean => d.hires.length + d.departures.length + d.moves.length === 0;
