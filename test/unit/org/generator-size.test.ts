import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEPARTMENTS } from '../../../src/org/company-data.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { apportion, departmentPlans } from '../../../src/org/scale.ts';
import { orgProblems } from '../../../src/org/validate.ts';
import type { Person } from '../../../src/org/types.ts';

const DOMAIN = 'anycompany.corp';
const CEO = { name: 'Morgan Blake', localpart: 'morgan.blake' };
const SEED_HEADCOUNT = DEPARTMENTS.reduce((sum, d) => sum + d.headcount, 0);

function timed(size: number, seed?: number): { people: Person[]; ms: number } {
  const started = performance.now();
  const people = generateOrg({ domain: DOMAIN, ceo: CEO, size, ...(seed === undefined ? {} : { seed }) });
  return { people, ms: performance.now() - started };
}

const digest = (people: Person[]) => createHash('sha256').update(JSON.stringify(people)).digest('hex');

// Generating 20,000 people takes ~0.3 s alone; on a shared two-core box several times that.
describe('generateOrg at any size', { timeout: 60_000 }, () => {
  it('at 1001 (the default) is byte for byte the directory the fleet generated before org.size existed', () => {
    // Hashes of the generator's output for seeds 42 and 7 taken before sizes were added.
    expect(digest(generateOrg({ domain: DOMAIN, ceo: CEO }))).toBe('c69cf428bdfc771b59d9a5af8771145b5c63917c02a4de137fda71aecd5f1a11');
    expect(digest(timed(1001).people)).toBe('c69cf428bdfc771b59d9a5af8771145b5c63917c02a4de137fda71aecd5f1a11');
    expect(digest(timed(1001, 7).people)).toBe('66fae99851251fc7f74a0c8997e5c5cc5c2dad04ff889e9d25149112ac6acb35');
    expect(departmentPlans(1001).map((d) => [d.name, d.headcount, d.teams])).toEqual(DEPARTMENTS.map((d) => [d.name, d.headcount, d.teams]));
  });

  for (const [size, maxMs] of [[50, 200], [2000, 500], [10_000, 2000], [20_000, 5000]] as const) {
    describe(`${size} people`, () => {
      const { people, ms } = timed(size);
      const byId = new Map(people.map((p) => [p.matrixId, p]));

      it(`has exactly ${size} people, in the seed's departments and their proportions, generated in under ${maxMs} ms`, () => {
        expect(people).toHaveLength(size);
        expect(ms).toBeLessThan(maxMs);
        expect(orgProblems(people, DOMAIN)).toEqual([]);
        const ideal = (d: { headcount: number }) => (d.headcount * (size - 1)) / SEED_HEADCOUNT;
        for (const d of DEPARTMENTS) {
          const count = people.filter((p) => p.department === d.name).length;
          expect(Math.abs(count - ideal(d)), d.name).toBeLessThan(1);
          expect(people.filter((p) => p.department === d.name && p.level === 'VP'), d.name).toHaveLength(1);
        }
      });

      it('keeps the seed\'s levels and spans of control: 5 ICs a manager (10 at most), at most 12 managers a director', () => {
        expect(new Set(people.map((p) => p.level))).toEqual(new Set(['CEO', 'VP', 'Director', 'Manager', 'IC']));
        const managers = people.filter((p) => p.level === 'Manager');
        for (const m of managers) {
          expect(m.directReports.length, m.matrixId).toBeGreaterThanOrEqual(5);
          expect(m.directReports.length, m.matrixId).toBeLessThanOrEqual(10);
        }
        const ics = people.filter((p) => p.level === 'IC' && byId.get(p.reportsTo!)!.level === 'Manager').length;
        // The per-department remainder (at most 5 extra ICs) weighs only when managers are few.
        expect(ics / managers.length).toBeGreaterThanOrEqual(5);
        expect(ics / managers.length).toBeLessThan(size >= 1001 ? 5.3 : 7);
        for (const d of people.filter((p) => p.level === 'Director')) {
          expect(d.directReports.length).toBeLessThanOrEqual(12);
          // ICs report to a director only in a department too small for a manager (at 50 people).
          const hasManagers = managers.some((m) => m.department === d.department);
          if (hasManagers) for (const r of d.directReports) expect(byId.get(r)!.level).toBe('Manager');
        }
        if (size >= 1001) for (const d of people.filter((p) => p.level === 'Director')) expect(d.directReports.length).toBeGreaterThanOrEqual(2);
      });

      it('ends every manager chain at the CEO, through the levels in order', () => {
        const rank = { CEO: 0, VP: 1, Director: 2, Manager: 3, IC: 4 } as const;
        for (const p of people) {
          let at = p;
          for (let hops = 0; at.reportsTo !== null; hops++) {
            const up = byId.get(at.reportsTo)!;
            expect(rank[up.level]).toBeLessThan(rank[at.level]);
            expect(hops).toBeLessThan(5);
            at = up;
          }
          expect(at.matrixId).toBe('@morgan.blake:anycompany.corp');
        }
      });

      it('gives everyone a unique name and a unique localpart derived from it', () => {
        expect(new Set(people.map((p) => p.name)).size).toBe(size);
        expect(new Set(people.map((p) => p.localpart)).size).toBe(size);
        for (const p of people.slice(1)) {
          expect(p.name).toMatch(new RegExp(`^${p.firstName} (?:[A-Z]\\. )?${p.lastName}$`));
          expect(p.localpart).toBe(p.name.toLowerCase().replace(/\. /g, '.').replace(/ /g, '.'));
        }
      });

      it('is deterministic per seed', () => {
        expect(digest(timed(size).people)).toBe(digest(people));
        expect(timed(size, 7).people.map((p) => p.name)).not.toEqual(people.map((p) => p.name));
      });
    });
  }

  it('numbers the extra teams after the seed\'s: Engineering at 10,000', () => {
    const eng = departmentPlans(10_000).find((d) => d.name === 'Engineering')!;
    expect(eng.teams.slice(0, 7)).toEqual(['Platform', 'Frontend', 'Backend', 'Infrastructure', 'QA', 'Platform 2', 'Frontend 2']);
    expect(new Set(eng.teams).size).toBe(eng.teams.length);
  });

  it('refuses sizes outside 50..20,000', () => {
    for (const size of [49, 20_001, 1000.5]) expect(() => generateOrg({ domain: DOMAIN, ceo: CEO, size })).toThrow(/size/);
  });

  it('apportions exactly, largest remainders first', () => {
    expect(apportion([1, 1, 1], 10)).toEqual([4, 3, 3]);
    expect(apportion([350, 200, 100, 80, 80, 70, 50, 40, 30], 49).reduce((a, b) => a + b)).toBe(49);
  });
});
