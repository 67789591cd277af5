import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { componentLogger } from '../log.ts';
import { OrgDirectory } from './directory.ts';
import { DEFAULT_SEED, generateOrg, type CeoSpec } from './generator.ts';
import { parseMatrixId } from './ids.ts';
import { LEVELS, type Person } from './types.ts';
import { OrgValidationError, validateOrg } from './validate.ts';

const log = componentLogger('org');

export interface LoadOrgConfig {
  domain: string;
  seed?: number;
  /** Generated headcount (ignored with `file`). */
  size?: number;
  ceo: CeoSpec;
  /** A YAML (.yaml/.yml) or JSON (.json) directory that replaces the generated company. */
  file?: string;
  /** Extra matrix ids that are real people rather than agents. */
  humans?: string[];
}

// Strict per person so that a misspelt key ("reports_to") is reported instead of silently ignored; the top level
// tolerates extra keys so the seed project's org.json ({ departments, people }) loads as is.
const personSchema = z.strictObject({
  matrixId: z.string().min(1),
  name: z.string().min(1),
  title: z.string().min(1),
  level: z.enum(LEVELS as [string, ...string[]]),
  department: z.string().min(1),
  team: z.string().nullable().optional(),
  reportsTo: z.string().nullable().optional(),
  directReports: z.array(z.string()).optional(),
  localpart: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  human: z.boolean().optional(),
});
const fileSchema = z.object({ people: z.array(personSchema).min(1) });
type PersonEntry = z.infer<typeof personSchema>;

function readOrgFile(file: string): unknown {
  const ext = extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) throw new Error(`org file '${file}': unknown extension '${ext}'; use .yaml, .yml or .json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`org file '${file}' could not be read: ${(err as Error).message}`, { cause: err });
  }
  try {
    return ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new Error(`org file '${file}' is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`, { cause: err });
  }
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const [top, index, ...rest] = issue.path;
  if (top === 'people' && typeof index === 'number') {
    const entry = (data as { people: Array<{ matrixId?: unknown }> }).people[index];
    const who = typeof entry?.matrixId === 'string' ? ` '${entry.matrixId}'` : '';
    return `person #${index + 1}${who}: ${rest.length ? `${rest.join('.')}: ` : ''}${issue.message}`;
  }
  return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}${issue.path.length ? '' : ' (expected `people:` with a list of people)'}`;
}

/** Fills in what a hand-written file may leave out. */
function completePeople(entries: PersonEntry[]): Person[] {
  const reportsOf = new Map<string, string[]>();
  for (const e of entries) {
    if (e.reportsTo) reportsOf.set(e.reportsTo, [...(reportsOf.get(e.reportsTo) ?? []), e.matrixId]);
  }
  return entries.map((e) => {
    const words = e.name.trim().split(/\s+/);
    return {
      matrixId: e.matrixId,
      localpart: e.localpart ?? parseMatrixId(e.matrixId)?.localpart ?? '',
      name: e.name,
      firstName: e.firstName ?? words[0] ?? '',
      lastName: e.lastName ?? words.slice(1).join(' '),
      title: e.title,
      level: e.level as Person['level'],
      department: e.department,
      team: e.team ?? null,
      reportsTo: e.reportsTo ?? null,
      directReports: e.directReports ?? reportsOf.get(e.matrixId) ?? [],
      human: e.human ?? false,
    };
  });
}

export function peopleFromFile(file: string): Person[] {
  const data = readOrgFile(file);
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) throw new OrgValidationError(parsed.error.issues.map((i) => describeIssue(i, data)), `org file '${file}'`);
  return completePeople(parsed.data.people);
}

function markHumans(people: Person[], humans: string[]): Person[] {
  const known = new Set(people.map((p) => p.matrixId));
  const unknown = humans.filter((id) => !known.has(id));
  if (unknown.length) {
    throw new OrgValidationError(unknown.map((id) => `humans: '${id}' is not in the org directory (use the full @localpart:domain id)`), 'org config');
  }
  const wanted = new Set(humans);
  return people.map((p) => (wanted.has(p.matrixId) ? { ...p, human: true } : p));
}

/** The directory from `file` when given, else the generated company; always validated. */
export function loadOrg(cfg: LoadOrgConfig): OrgDirectory {
  const source = cfg.file ? `org file '${cfg.file}'` : 'generated org';
  const base = cfg.file ? peopleFromFile(cfg.file) : generateOrg({ domain: cfg.domain, seed: cfg.seed, size: cfg.size, ceo: cfg.ceo });
  const people = markHumans(base, cfg.humans ?? []);
  validateOrg(people, cfg.domain, source);
  const org = new OrgDirectory(people, cfg.domain);
  log.info({ source: cfg.file ?? 'generator', seed: cfg.file ? undefined : (cfg.seed ?? DEFAULT_SEED), people: org.size, humans: org.humans().length }, 'org directory loaded');
  return org;
}
