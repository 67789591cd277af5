import { isValidLocalpart, parseMatrixId } from './ids.ts';
import { isLevel, LEVELS, type Person } from './types.ts';

const MAX_PROBLEMS_IN_MESSAGE = 25;

export class OrgValidationError extends Error {
  readonly problems: string[];

  constructor(problems: string[], source = 'org directory') {
    const shown = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE).map((p) => `  - ${p}`);
    if (problems.length > shown.length) shown.push(`  … and ${problems.length - shown.length} more`);
    super(`${source} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}; people are numbered from 1 in list order):\n${shown.join('\n')}`);
    this.name = 'OrgValidationError';
    this.problems = problems;
  }
}

type Label = (index: number) => string;

function checkFields(p: Person, label: string, domain: string, problems: string[]): void {
  const record = p as unknown as Record<string, unknown>;
  for (const field of ['matrixId', 'localpart', 'name', 'title', 'department'] as const) {
    if (typeof record[field] !== 'string' || !(record[field] as string).trim()) problems.push(`${label}: ${field} is missing or empty`);
  }
  for (const field of ['firstName', 'lastName'] as const) {
    if (typeof record[field] !== 'string') problems.push(`${label}: ${field} must be a string`);
  }
  if (!isLevel(p.level)) problems.push(`${label}: level '${String(p.level)}' is not one of ${LEVELS.join(', ')}`);
  if (p.team !== null && typeof p.team !== 'string') problems.push(`${label}: team must be a string or null`);
  if (p.reportsTo !== null && typeof p.reportsTo !== 'string') problems.push(`${label}: reportsTo must be a matrix id or null`);
  if (typeof p.human !== 'boolean') problems.push(`${label}: human must be true or false`);
  if (!Array.isArray(p.directReports)) problems.push(`${label}: directReports must be a list of matrix ids`);

  if (typeof p.matrixId !== 'string') return;
  const id = parseMatrixId(p.matrixId);
  if (!id || !isValidLocalpart(id.localpart)) {
    problems.push(`${label}: matrixId '${p.matrixId}' is not of the form @first.last:${domain} (lower-case letters, digits, . _ = - /)`);
  } else if (id.domain !== domain) {
    problems.push(`${label}: matrixId '${p.matrixId}' is not on the domain ${domain}`);
  } else if (typeof p.localpart === 'string' && p.localpart && p.localpart !== id.localpart) {
    problems.push(`${label}: localpart '${p.localpart}' does not match matrixId '${p.matrixId}'`);
  }
}

/** Managers must exist, and following reportsTo upwards must end at the root rather than loop. */
function checkHierarchy(people: Person[], byId: Map<string, number>, label: Label, problems: string[]): void {
  const roots = people.flatMap((p, i) => (p.reportsTo === null ? [i] : []));
  if (roots.length !== 1) {
    const who = roots.map(label).join(', ');
    problems.push(roots.length === 0
      ? 'nobody has reportsTo null: exactly one person (the head of the company) must report to nobody'
      : `${roots.length} people report to nobody (${who}): exactly one may be the root, give the others a manager`);
  }

  for (const [i, p] of people.entries()) {
    if (typeof p.reportsTo !== 'string') continue;
    if (p.reportsTo === p.matrixId) problems.push(`${label(i)}: reports to themselves`);
    else if (!byId.has(p.reportsTo)) problems.push(`${label(i)}: reportsTo '${p.reportsTo}' is not in the directory`);
  }

  // 0 = unvisited, 1 = on the current path, 2 = known to reach the root (or a problem already reported).
  const state = new Uint8Array(people.length);
  for (let start = 0; start < people.length; start++) {
    const path: number[] = [];
    let at: number | undefined = start;
    while (at !== undefined && state[at] === 0) {
      state[at] = 1;
      path.push(at);
      const up: string | null = people[at]!.reportsTo;
      at = typeof up === 'string' && up !== people[at]!.matrixId ? byId.get(up) : undefined;
    }
    if (at !== undefined && state[at] === 1) {
      const loop = path.slice(path.indexOf(at)).map((i) => people[i]!.matrixId);
      problems.push(`reporting cycle: ${[...loop, loop[0]].join(' -> ')} (someone in it must report outside the loop)`);
    }
    for (const i of path) state[i] = 2;
  }
}

function checkDirectReports(people: Person[], byId: Map<string, number>, label: Label, problems: string[]): void {
  const expected = new Map<string, Set<string>>();
  for (const p of people) {
    if (typeof p.reportsTo !== 'string') continue;
    const set = expected.get(p.reportsTo) ?? new Set<string>();
    set.add(p.matrixId);
    expected.set(p.reportsTo, set);
  }
  for (const [i, p] of people.entries()) {
    if (!Array.isArray(p.directReports)) continue;
    const listed = new Set<string>();
    for (const r of p.directReports) {
      if (listed.has(r)) problems.push(`${label(i)}: directReports lists '${r}' twice`);
      listed.add(r);
      if (!byId.has(r)) problems.push(`${label(i)}: directReports lists '${r}', who is not in the directory`);
      else if (people[byId.get(r)!]!.reportsTo !== p.matrixId) {
        problems.push(`${label(i)}: directReports lists '${r}', but ${r} reports to '${people[byId.get(r)!]!.reportsTo ?? 'nobody'}'`);
      }
    }
    for (const r of expected.get(p.matrixId) ?? []) {
      if (!listed.has(r)) problems.push(`${label(i)}: '${r}' reports to them but is missing from their directReports`);
    }
  }
}

/** Every problem found, in human-actionable form; empty when the directory is sound. */
export function orgProblems(people: Person[], domain: string): string[] {
  const problems: string[] = [];
  const label: Label = (i) => {
    const p = people[i];
    const who = typeof p?.matrixId === 'string' ? p.matrixId : typeof p?.name === 'string' ? p.name : '?';
    return `person #${i + 1} '${who}'`;
  };
  if (people.length === 0) return ['the directory has nobody in it'];

  const notObjects = people.flatMap((p, i) => (p === null || typeof p !== 'object' || Array.isArray(p) ? [i] : []));
  if (notObjects.length) return notObjects.map((i) => `person #${i + 1}: is not a record with matrixId, name, title, …`);

  const byId = new Map<string, number>();
  for (const [i, p] of people.entries()) {
    checkFields(p, label(i), domain, problems);
    if (typeof p.matrixId !== 'string') continue;
    const first = byId.get(p.matrixId);
    if (first !== undefined) problems.push(`${label(i)}: duplicate matrixId, already used by ${label(first)}`);
    else byId.set(p.matrixId, i);
  }
  checkHierarchy(people, byId, label, problems);
  checkDirectReports(people, byId, label, problems);
  return problems;
}

export function validateOrg(people: Person[], domain: string, source?: string): void {
  const problems = orgProblems(people, domain);
  if (problems.length) throw new OrgValidationError(problems, source);
}
