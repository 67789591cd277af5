import { DEPARTMENTS, EXECUTIVE_DEPARTMENT, FIRST_NAMES, ICS_PER_MANAGER, LAST_NAMES, type DepartmentPlan } from './company-data.ts';
import { isValidLocalpart, isValidServerName, LocalpartAllocator, localpartFromName, matrixIdOf } from './ids.ts';
import { lcg, pick } from './rng.ts';
import type { Level, Person } from './types.ts';

export const DEFAULT_SEED = 42;

export interface CeoSpec {
  name: string;
  /** Defaults to the name as first.last. */
  localpart?: string;
  /** Defaults to "CEO". */
  title?: string;
}

export interface GenerateOrgOptions {
  domain: string;
  seed?: number;
  ceo: CeoSpec;
}

/** Draws "First Last" names that nobody in the company has yet. */
class NamePool {
  readonly #used = new Set<string>();
  readonly #rng: () => number;

  constructor(rng: () => number, reserved: string) {
    this.#rng = rng;
    this.#used.add(reserved);
  }

  draw(): { firstName: string; lastName: string } {
    let firstName = '';
    let lastName = '';
    // 18,000 combinations for ~1,000 people: a repeat is redrawn; after 1,000 misses a namesake is accepted and
    // told apart by a suffixed id instead.
    for (let attempt = 0; attempt < 1000; attempt++) {
      firstName = pick(this.#rng, FIRST_NAMES);
      lastName = pick(this.#rng, LAST_NAMES);
      if (!this.#used.has(`${firstName} ${lastName}`)) break;
    }
    this.#used.add(`${firstName} ${lastName}`);
    return { firstName, lastName };
  }
}

function splitName(name: string): { firstName: string; lastName: string } {
  const words = name.trim().split(/\s+/);
  return { firstName: words[0] ?? '', lastName: words.slice(1).join(' ') };
}

function checkOptions(opts: GenerateOrgOptions): { seed: number; ceoLocalpart: string } {
  if (!isValidServerName(opts.domain)) throw new Error(`generateOrg: domain '${opts.domain}' is not a Matrix server name such as anycompany.corp`);
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error(`generateOrg: seed must be an integer, got ${seed}`);
  if (!opts.ceo.name.trim()) throw new Error('generateOrg: ceo.name must not be empty');
  const ceoLocalpart = opts.ceo.localpart ?? localpartFromName(opts.ceo.name);
  if (!isValidLocalpart(ceoLocalpart)) {
    throw new Error(`generateOrg: CEO localpart '${ceoLocalpart}' is not a lower-case Matrix localpart; set ceo.localpart (e.g. morgan.blake)`);
  }
  return { seed, ceoLocalpart };
}

/**
 * The seed project's company of 1,001: a human CEO, then per department a VP, one director per team, managers
 * (one per six remaining heads, spread evenly over directors) and ICs five to a manager, any remainder going to
 * the department's last manager. Same options, same people, same order.
 */
export function generateOrg(opts: GenerateOrgOptions): Person[] {
  const { seed, ceoLocalpart } = checkOptions(opts);
  const rng = lcg(seed);
  const ceoName = opts.ceo.name.trim().replace(/\s+/g, ' ');
  const names = new NamePool(rng, ceoName);
  const localparts = new LocalpartAllocator();
  const people: Person[] = [];

  function add(
    who: { firstName: string; lastName: string; name?: string; localpart?: string },
    role: { title: string; level: Level; department: string; team: string | null },
    manager: Person | null,
  ): Person {
    const name = who.name ?? `${who.firstName} ${who.lastName}`;
    const localpart = localparts.claim(who.localpart ?? localpartFromName(name));
    const person: Person = {
      matrixId: matrixIdOf(localpart, opts.domain),
      localpart,
      name,
      firstName: who.firstName,
      lastName: who.lastName,
      ...role,
      reportsTo: manager?.matrixId ?? null,
      directReports: [],
      human: manager === null, // the founder at the root is the one real person
    };
    manager?.directReports.push(person.matrixId);
    people.push(person);
    return person;
  }

  const ceo = add(
    { ...splitName(ceoName), name: ceoName, localpart: ceoLocalpart },
    { title: opts.ceo.title ?? 'CEO', level: 'CEO', department: EXECUTIVE_DEPARTMENT, team: null },
    null,
  );

  for (const plan of DEPARTMENTS) addDepartment(plan, ceo);
  return people;

  function addDepartment(plan: DepartmentPlan, ceo: Person): void {
    const dept = plan.name;
    const vp = add(names.draw(), { title: `VP of ${dept}`, level: 'VP', department: dept, team: null }, ceo);
    const directors = plan.teams.map((team) =>
      add(names.draw(), { title: `Director of ${team}`, level: 'Director', department: dept, team }, vp));

    const belowDirectors = plan.headcount - 1 - directors.length;
    const managerCount = Math.floor(belowDirectors / 6);
    const managersPerDirector = Math.ceil(managerCount / directors.length);
    let managersLeft = managerCount;
    let icsLeft = belowDirectors - managerCount;
    let lastManager: Person | undefined;

    // The seed draws an IC's title before its name; keeping that order keeps the seed's names.
    const addIc = (manager: Person): void => {
      const title = pick(rng, plan.icTitles);
      add(names.draw(), { title, level: 'IC', department: dept, team: manager.team }, manager);
    };

    for (const director of directors) {
      const count = Math.min(managersPerDirector, managersLeft);
      managersLeft -= count;
      for (let m = 0; m < count; m++) {
        lastManager = add(names.draw(), { title: `${director.team} Manager`, level: 'Manager', department: dept, team: director.team }, director);
        const ics = Math.min(ICS_PER_MANAGER, icsLeft);
        icsLeft -= ics;
        for (let i = 0; i < ics; i++) addIc(lastManager);
      }
    }
    const catchAll = lastManager ?? directors.at(-1)!;
    for (; icsLeft > 0; icsLeft--) addIc(catchAll);
  }
}
