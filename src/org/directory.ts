import { parseMatrixId } from './ids.ts';
import { validateOrg } from './validate.ts';
import { LEVELS, type Level, type Person } from './types.ts';

export interface TeamRef {
  department: string;
  team: string;
}

const key = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase();

function groupBy(people: readonly Person[], keyOf: (p: Person) => string | null): Map<string, Person[]> {
  const groups = new Map<string, Person[]>();
  for (const p of people) {
    const k = keyOf(p);
    if (k === null) continue;
    const group = groups.get(k);
    if (group) group.push(p);
    else groups.set(k, [p]);
  }
  return groups;
}

const WORD_BREAKS = [' ', '.', '-', '/', '&'];

/** A person's searchable fields, lower-cased once: name, localpart, title, team, department (the rank order). */
type SearchFields = readonly string[];

const searchFieldsOf = (p: Person): SearchFields => [p.name, p.localpart, p.title, p.team ?? '', p.department].map((f) => f.toLowerCase());

/** How well one search word matches a person: lower is better, undefined is no match. Name fields rank first. */
function wordRank(fields: SearchFields, word: string): number | undefined {
  for (const [rank, value] of fields.entries()) {
    if (!value.includes(word)) continue;
    // A word that starts a word of the field ("eng" in "Senior Engineer") beats one buried inside it.
    const atWordStart = value.startsWith(word) || WORD_BREAKS.some((b) => value.includes(b + word));
    return rank * 2 + (atWordStart ? 0 : 1);
  }
  return undefined;
}

/**
 * The company directory: validated once, then read-only with indexed lookups. Every method returns fresh arrays;
 * the Person objects are frozen. Ids are exact matrix ids unless a method says otherwise.
 */
export class OrgDirectory {
  readonly domain: string;
  readonly #people: readonly Person[];
  readonly #byId: Map<string, Person>;
  readonly #byLocalpart: Map<string, Person>;
  readonly #byName: Map<string, Person[]>;
  readonly #byDepartment: Map<string, Person[]>;
  readonly #byTeam: Map<string, Person[]>;
  readonly #byLevel: Map<string, Person[]>;
  readonly #searchFields: readonly SearchFields[];
  /** The fields joined by a separator no query word holds: one substring test rules a person out. */
  readonly #haystacks: readonly string[];
  readonly #humans: readonly Person[];
  readonly #agents: readonly Person[];

  constructor(people: readonly Person[], domain: string) {
    validateOrg([...people], domain);
    this.domain = domain;
    this.#people = Object.freeze(people.map((p) => Object.freeze({ ...p, directReports: Object.freeze([...p.directReports]) as string[] })));
    this.#byId = new Map(this.#people.map((p) => [p.matrixId, p]));
    this.#byLocalpart = new Map(this.#people.map((p) => [p.localpart, p]));
    this.#byName = groupBy(this.#people, (p) => key(p.name));
    this.#byDepartment = groupBy(this.#people, (p) => key(p.department));
    this.#byTeam = groupBy(this.#people, (p) => (p.team === null ? null : key(p.team)));
    this.#byLevel = groupBy(this.#people, (p) => p.level);
    // Lookups stay O(1) or O(result) at 20,000 people; only search reads everyone, over these prepared fields.
    this.#searchFields = this.#people.map(searchFieldsOf);
    this.#haystacks = this.#searchFields.map((f) => f.join('\n'));
    this.#humans = this.#people.filter((p) => p.human);
    this.#agents = this.#people.filter((p) => !p.human);
  }

  get size(): number {
    return this.#people.length;
  }

  /** Everyone, in directory order (the root first for generated orgs). Serves the people tool's `list`. */
  all(): Person[] {
    return [...this.#people];
  }

  get(matrixId: string): Person | undefined {
    return this.#byId.get(matrixId);
  }

  has(matrixId: string): boolean {
    return this.#byId.has(matrixId);
  }

  byLocalpart(localpart: string): Person | undefined {
    return this.#byLocalpart.get(localpart.toLowerCase());
  }

  /**
   * The people tool's `find`: a person by "@lp:domain", "@lp" or "lp" (case-insensitive), then by exact display
   * name when that is unambiguous.
   */
  resolve(ref: string): Person | undefined {
    const raw = ref.trim();
    const asId = parseMatrixId(raw.toLowerCase());
    if (asId) return asId.domain === this.domain ? this.byLocalpart(asId.localpart) : undefined;
    const byLocalpart = this.byLocalpart(raw.replace(/^@/, ''));
    if (byLocalpart) return byLocalpart;
    const named = this.findByName(raw);
    return named.length === 1 ? named[0] : undefined;
  }

  /** Exact display-name match, case- and spacing-insensitive. A list because hand-written orgs may have namesakes. */
  findByName(displayName: string): Person[] {
    return [...(this.#byName.get(key(displayName)) ?? [])];
  }

  isHuman(matrixId: string): boolean {
    return this.#byId.get(matrixId)?.human === true;
  }

  /** In the org and not a human: someone the fleet speaks for. */
  isAgent(matrixId: string): boolean {
    return this.#byId.get(matrixId)?.human === false;
  }

  humans(): Person[] {
    return [...this.#humans];
  }

  agents(): Person[] {
    return [...this.#agents];
  }

  manager(matrixId: string): Person | undefined {
    const up = this.#byId.get(matrixId)?.reportsTo;
    return up ? this.#byId.get(up) : undefined;
  }

  reports(matrixId: string): Person[] {
    return (this.#byId.get(matrixId)?.directReports ?? []).map((id) => this.#byId.get(id)!);
  }

  /** Managers from the nearest up to the root, excluding the person; empty for the root or an unknown id. */
  chain(matrixId: string): Person[] {
    const out: Person[] = [];
    for (let m = this.manager(matrixId); m; m = this.manager(m.matrixId)) out.push(m);
    return out;
  }

  department(name: string): Person[] {
    return [...(this.#byDepartment.get(key(name)) ?? [])];
  }

  /** Team names are not unique across departments (Platform is in Engineering and Product); pass one to narrow. */
  team(name: string, department?: string): Person[] {
    const members = this.#byTeam.get(key(name)) ?? [];
    return department === undefined ? [...members] : members.filter((p) => key(p.department) === key(department));
  }

  /** Department names in directory order. */
  departments(): string[] {
    return [...new Set(this.#people.map((p) => p.department))];
  }

  /** Distinct (department, team) pairs in directory order. */
  teams(): TeamRef[] {
    const seen = new Map<string, TeamRef>();
    for (const p of this.#people) {
      if (p.team !== null) seen.set(`${p.department}\u0000${p.team}`, { department: p.department, team: p.team });
    }
    return [...seen.values()];
  }

  /** Case-insensitive substring of the title. */
  byTitle(query: string): Person[] {
    const q = key(query);
    return q ? this.#people.filter((p) => p.title.toLowerCase().includes(q)) : [];
  }

  /** A Level ('IC', case-insensitive) or its rank: 1 CEO, 2 VP, 3 Director, 4 Manager, 5 IC. */
  byLevel(level: Level | string | number): Person[] {
    const wanted = typeof level === 'number'
      ? LEVELS[level - 1]
      : LEVELS.find((l) => l.toLowerCase() === level.trim().toLowerCase());
    return wanted ? [...(this.#byLevel.get(wanted) ?? [])] : [];
  }

  /**
   * Every word must match one of name, localpart, title, team or department (case-insensitive). Ranked: whole-name
   * matches, then by which fields matched (name first), then seniority, then directory order.
   */
  search(query: string, limit = Infinity): Person[] {
    const words = key(query).split(' ').filter(Boolean);
    if (!words.length) return [];
    const whole = key(query);
    const scored: Array<{ p: Person; score: number[] }> = [];
    for (const [i, p] of this.#people.entries()) {
      const fields = this.#searchFields[i]!;
      if (!words.every((w) => this.#haystacks[i]!.includes(w))) continue; // most people fail here, cheaply
      let fieldScore = 0;
      for (const w of words) {
        const rank = wordRank(fields, w);
        if (rank === undefined) {
          fieldScore = -1;
          break;
        }
        fieldScore += rank;
      }
      if (fieldScore < 0) continue;
      const name = fields[0]!;
      const nameScore = name === whole ? 0 : name.startsWith(whole) ? 1 : name.includes(whole) ? 2 : 3;
      scored.push({ p, score: [nameScore, fieldScore, LEVELS.indexOf(p.level), i] });
    }
    scored.sort((a, b) => {
      for (let i = 0; i < a.score.length; i++) if (a.score[i] !== b.score[i]) return a.score[i]! - b.score[i]!;
      return 0;
    });
    return scored.slice(0, limit).map((s) => s.p);
  }
}
