import { EXECUTIVE_DEPARTMENT, FIRST_NAMES, ICS_PER_MANAGER, LAST_NAMES, MIDDLE_INITIALS } from './company-data.ts';
import { departmentPlans, ORG_SIZE_MAX, ORG_SIZE_MIN, SEED_ORG_SIZE, type ScaledDepartment } from './scale.ts';
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
  /** Everyone, the CEO included: 50 to 20,000; default 1001, the seed's company. */
  size?: number;
}

/**
 * Draws names that nobody in the company has yet. The seed's 180 first × 100 last names give 18,000 pairs, fewer
 * than a 20,000-person company needs, so once a draw keeps hitting taken pairs the person gets a middle initial
 * ("Olivia J. Smith", id olivia.j.smith): still a name a colleague can type, unique, and deterministic per seed.
 */
class NamePool {
  readonly #used = new Set<string>();
  readonly #rng: () => number;

  constructor(rng: () => number, reserved: string) {
    this.#rng = rng;
    this.#used.add(reserved);
  }

  draw(): { firstName: string; lastName: string; name: string } {
    let firstName = '';
    let lastName = '';
    // A taken pair is redrawn. The seed company (1001 of 18,000 pairs) never needs more than a few redraws, so this
    // bound changes none of its names; at 20,000 it keeps the pool from spinning on an exhausted name space.
    for (let attempt = 0; attempt < MAX_REDRAWS; attempt++) {
      firstName = pick(this.#rng, FIRST_NAMES);
      lastName = pick(this.#rng, LAST_NAMES);
      const name = `${firstName} ${lastName}`;
      if (!this.#used.has(name)) return this.#take(firstName, lastName, name);
    }
    let name = `${firstName} ${lastName}`;
    // 19 initials per pair: room for 342,000 names. Past that a namesake is accepted and told apart by a suffixed id.
    for (let attempt = 0; attempt < MAX_REDRAWS && this.#used.has(name); attempt++) {
      name = `${firstName} ${pick(this.#rng, MIDDLE_INITIALS)}. ${lastName}`;
    }
    return this.#take(firstName, lastName, name);
  }

  #take(firstName: string, lastName: string, name: string): { firstName: string; lastName: string; name: string } {
    this.#used.add(name);
    return { firstName, lastName, name };
  }
}

const MAX_REDRAWS = 64;

function splitName(name: string): { firstName: string; lastName: string } {
  const words = name.trim().split(/\s+/);
  return { firstName: words[0] ?? '', lastName: words.slice(1).join(' ') };
}

function checkOptions(opts: GenerateOrgOptions): { seed: number; ceoLocalpart: string; size: number } {
  if (!isValidServerName(opts.domain)) throw new Error(`generateOrg: domain '${opts.domain}' is not a Matrix server name such as anycompany.corp`);
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error(`generateOrg: seed must be an integer, got ${seed}`);
  if (!opts.ceo.name.trim()) throw new Error('generateOrg: ceo.name must not be empty');
  const ceoLocalpart = opts.ceo.localpart ?? localpartFromName(opts.ceo.name);
  if (!isValidLocalpart(ceoLocalpart)) {
    throw new Error(`generateOrg: CEO localpart '${ceoLocalpart}' is not a lower-case Matrix localpart; set ceo.localpart (e.g. morgan.blake)`);
  }
  const size = opts.size ?? SEED_ORG_SIZE;
  if (!Number.isSafeInteger(size) || size < ORG_SIZE_MIN || size > ORG_SIZE_MAX) {
    throw new Error(`generateOrg: size must be an integer from ${ORG_SIZE_MIN} to ${ORG_SIZE_MAX}, got ${size}`);
  }
  return { seed, ceoLocalpart, size };
}

/**
 * The seed project's company, at any size: a human CEO, then per department a VP, one director per team, managers
 * (one per six remaining heads, filled director by director) and ICs five to a manager, any remainder going to the
 * department's last manager. Departments and teams scale with the size (src/org/scale.ts); at 1001 this is the
 * seed's company exactly. Same options, same people, same order.
 */
export function generateOrg(opts: GenerateOrgOptions): Person[] {
  const { seed, ceoLocalpart, size } = checkOptions(opts);
  const rng = lcg(seed);
  const ceoName = opts.ceo.name.trim().replace(/\s+/g, ' ');
  const names = new NamePool(rng, ceoName);
  const localparts = new LocalpartAllocator();
  const people: Person[] = [];

  function add(
    who: { firstName: string; lastName: string; name: string; localpart?: string },
    role: { title: string; level: Level; department: string; team: string | null },
    manager: Person | null,
  ): Person {
    const name = who.name;
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

  for (const plan of departmentPlans(size)) addDepartment(plan, ceo);
  return people;

  function addDepartment(plan: ScaledDepartment, ceo: Person): void {
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
    const catchAll = lastManager ?? directors.at(-1) ?? vp;
    for (; icsLeft > 0; icsLeft--) addIc(catchAll);
  }
}
