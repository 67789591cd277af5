import { describe, expect, it } from 'vitest';
import { generateOrg } from '../../../src/org/generator.ts';
import { orgProblems } from '../../../src/org/validate.ts';
import type { Person } from '../../../src/org/types.ts';

const DOMAIN = 'anycompany.corp';
const CEO = { name: 'Morgan Blake', localpart: 'morgan.blake' };
const people = generateOrg({ domain: DOMAIN, ceo: CEO });

function countBy(list: Person[], keyOf: (p: Person) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of list) out[keyOf(p)] = (out[keyOf(p)] ?? 0) + 1;
  return out;
}

describe('generateOrg', () => {
  it('builds the seed company: 1001 people in 9 departments plus the CEO', () => {
    expect(people).toHaveLength(1001);
    expect(countBy(people, (p) => p.department)).toEqual({
      Executive: 1, Engineering: 350, Sales: 200, Marketing: 100, Product: 80, Operations: 80,
      'Customer Success': 70, Finance: 50, People: 40, Legal: 30,
    });
    expect(countBy(people, (p) => p.level)).toEqual({ CEO: 1, VP: 9, Director: 28, Manager: 156, IC: 807 });
  });

  it('gives each department one VP and one director per team, under the right bosses', () => {
    const byId = new Map(people.map((p) => [p.matrixId, p]));
    for (const vp of people.filter((p) => p.level === 'VP')) {
      expect(vp.reportsTo).toBe('@morgan.blake:anycompany.corp');
      expect(vp.title).toBe(`VP of ${vp.department}`);
    }
    for (const d of people.filter((p) => p.level === 'Director')) {
      expect(byId.get(d.reportsTo!)?.level).toBe('VP');
      expect(d.title).toBe(`Director of ${d.team}`);
    }
    for (const m of people.filter((p) => p.level === 'Manager')) expect(byId.get(m.reportsTo!)?.level).toBe('Director');
    for (const ic of people.filter((p) => p.level === 'IC')) {
      const manager = byId.get(ic.reportsTo!)!;
      expect(manager.level).toBe('Manager');
      expect([ic.department, ic.team]).toEqual([manager.department, manager.team]);
    }
  });

  it('gives managers five ICs except the last manager of a department, who takes the remainder (as the seed does)', () => {
    const managers = people.filter((p) => p.level === 'Manager');
    const lastPerDept = new Map(managers.map((m) => [m.department, m.matrixId]));
    for (const m of managers) {
      if (lastPerDept.get(m.department) === m.matrixId) expect(m.directReports.length).toBeGreaterThanOrEqual(5);
      else expect(m.directReports).toHaveLength(5);
    }
    expect(Math.max(...managers.map((m) => m.directReports.length))).toBe(10);
  });

  it('is deterministic and reproduces the seed project for seed 42', () => {
    expect(generateOrg({ domain: DOMAIN, ceo: CEO })).toEqual(people);
    expect(generateOrg({ domain: DOMAIN, seed: 42, ceo: CEO })).toEqual(people);
    // The seed project's generator with seed 42 opens with these people.
    expect(people.slice(1, 5).map((p) => p.name)).toEqual(['Aaron Phillips', 'Samantha Reed', 'Austin Bailey', 'Miles Thomas']);
    const other = generateOrg({ domain: DOMAIN, seed: 7, ceo: CEO });
    expect(other.map((p) => p.name)).not.toEqual(people.map((p) => p.name));
  });

  it('makes only the CEO human and the root; everyone else has a manager in the org', () => {
    const ids = new Set(people.map((p) => p.matrixId));
    expect(people.filter((p) => p.human).map((p) => p.matrixId)).toEqual(['@morgan.blake:anycompany.corp']);
    expect(people.filter((p) => p.reportsTo === null)).toHaveLength(1);
    for (const p of people.slice(1)) expect(ids.has(p.reportsTo!)).toBe(true);
  });

  it('uses unique lower-case @first.last ids on the domain and "First Last" names', () => {
    expect(new Set(people.map((p) => p.matrixId)).size).toBe(people.length);
    for (const p of people) {
      expect(p.matrixId).toBe(`@${p.localpart}:${DOMAIN}`);
      expect(p.name).toBe(`${p.firstName} ${p.lastName}`);
      expect(p.localpart).toBe(`${p.firstName}.${p.lastName}`.toLowerCase());
    }
  });

  it('produces a tree the validator accepts', () => {
    expect(orgProblems(people, DOMAIN)).toEqual([]);
  });

  it('derives the CEO id from the name and keeps a custom title', () => {
    const [ceo] = generateOrg({ domain: 'example.org:8448', ceo: { name: 'José  de la Cruz', title: 'Founder' } });
    expect(ceo).toMatchObject({ matrixId: '@jose.de.la.cruz:example.org:8448', firstName: 'José', lastName: 'de la Cruz', title: 'Founder', human: true });
  });

  it('suffixes an id that a generated person would share with the CEO', () => {
    const org = generateOrg({ domain: DOMAIN, ceo: { name: 'Someone Else', localpart: 'aaron.phillips' } });
    expect(org[0]!.matrixId).toBe('@aaron.phillips:anycompany.corp');
    expect(org[1]).toMatchObject({ name: 'Aaron Phillips', matrixId: '@aaron.phillips2:anycompany.corp' });
  });

  it('rejects options it cannot turn into Matrix ids', () => {
    expect(() => generateOrg({ domain: 'not a domain', ceo: CEO })).toThrow(/domain/);
    expect(() => generateOrg({ domain: DOMAIN, ceo: { name: 'X', localpart: 'Bad Id' } })).toThrow(/localpart/);
    expect(() => generateOrg({ domain: DOMAIN, seed: 1.5, ceo: CEO })).toThrow(/seed/);
  });
});
