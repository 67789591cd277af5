import type { Level, Person } from './types.ts';

/** The fields `./fleet org list` shows, in column order. */
export interface OrgRow {
  matrixId: string;
  name: string;
  title: string;
  level: Level;
  department: string;
  team: string | null;
  reportsTo: string | null;
  human: boolean;
}

const COLUMNS = ['matrixId', 'name', 'title', 'level', 'department', 'team', 'reportsTo', 'human'] as const;

export function orgToJson(people: readonly Person[]): OrgRow[] {
  return people.map((p) => ({
    matrixId: p.matrixId,
    name: p.name,
    title: p.title,
    level: p.level,
    department: p.department,
    team: p.team,
    reportsTo: p.reportsTo,
    human: p.human,
  }));
}

/** Fixed-width columns, each as wide as its longest cell; "-" stands for no team / no manager. */
export function formatOrgTable(people: readonly Person[]): string {
  const cells = orgToJson(people).map((row) => COLUMNS.map((c) => {
    const v = row[c];
    return v === null ? '-' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : v;
  }));
  const rows: string[][] = [[...COLUMNS], ...cells];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
