import { describe, expect, it } from 'vitest';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { OrgValidationError } from '../../../src/org/validate.ts';
import type { Person } from '../../../src/org/types.ts';
import { DOMAIN, smallOrg } from './fixtures.ts';

const id = (lp: string): string => `@${lp}:${DOMAIN}`;
const ids = (people: Person[]): string[] => people.map((p) => p.matrixId);
const org = new OrgDirectory(smallOrg(), DOMAIN);

describe('OrgDirectory', () => {
  it('validates in the constructor', () => {
    const broken = smallOrg();
    broken[3]!.reportsTo = id('ghost');
    expect(() => new OrgDirectory(broken, DOMAIN)).toThrow(OrgValidationError);
    expect(() => new OrgDirectory(smallOrg(), 'other.corp')).toThrow(/not on the domain other.corp/);
  });

  it('looks people up by id and localpart', () => {
    expect(org.size).toBe(6);
    expect(org.domain).toBe(DOMAIN);
    expect(org.get(id('cat.kim'))?.name).toBe('Cat Kim');
    expect(org.get('@cat.kim:elsewhere')).toBeUndefined();
    expect(org.has(id('cat.kim'))).toBe(true);
    expect(org.has(id('ghost'))).toBe(false);
    expect(org.byLocalpart('cat.kim')?.matrixId).toBe(id('cat.kim'));
    expect(ids(org.all())).toEqual(ids(smallOrg()));
  });

  it('resolves the loose references the people tool receives (find)', () => {
    for (const ref of ['@cat.kim:test.corp', '@cat.kim', 'cat.kim', 'CAT.KIM', 'Cat Kim', ' cat  kim ']) {
      expect(org.resolve(ref)?.matrixId, ref).toBe(id('cat.kim'));
    }
    expect(org.resolve('@cat.kim:other.corp')).toBeUndefined();
    expect(org.resolve('Nobody Here')).toBeUndefined();
  });

  it('tells humans from agents', () => {
    expect(org.isHuman(id('ann.lee'))).toBe(true);
    expect(org.isAgent(id('ann.lee'))).toBe(false);
    expect(org.isAgent(id('dan.cho'))).toBe(true);
    expect(org.isAgent(id('ghost'))).toBe(false);
    expect(org.isHuman(id('ghost'))).toBe(false);
    expect(ids(org.humans())).toEqual([id('ann.lee')]);
    expect(org.agents()).toHaveLength(5);
  });

  it('walks the hierarchy (manager, reports, chain)', () => {
    expect(org.manager(id('dan.cho'))?.matrixId).toBe(id('cat.kim'));
    expect(org.manager(id('ann.lee'))).toBeUndefined();
    expect(ids(org.reports(id('cat.kim')))).toEqual([id('dan.cho'), id('eve.fox')]);
    expect(org.reports(id('dan.cho'))).toEqual([]);
    expect(ids(org.chain(id('dan.cho')))).toEqual([id('cat.kim'), id('bob.ray'), id('ann.lee')]);
    expect(org.chain(id('ann.lee'))).toEqual([]);
    expect(org.chain(id('ghost'))).toEqual([]);
  });

  it('groups by department, team, title and level', () => {
    expect(ids(org.department('engineering'))).toEqual([id('bob.ray'), id('cat.kim'), id('dan.cho'), id('eve.fox')]);
    expect(ids(org.team('CORE'))).toEqual([id('cat.kim'), id('dan.cho')]);
    expect(ids(org.team('core', 'Sales'))).toEqual([]);
    expect(org.departments()).toEqual(['Executive', 'Engineering', 'Sales']);
    expect(org.teams()).toEqual([{ department: 'Engineering', team: 'Core' }, { department: 'Engineering', team: 'Platform' }]);
    expect(ids(org.byTitle('vp of'))).toEqual([id('bob.ray'), id('fay.dunn')]);
    expect(org.byTitle('  ')).toEqual([]);
    expect(ids(org.byLevel('VP'))).toEqual([id('bob.ray'), id('fay.dunn')]);
    expect(ids(org.byLevel('manager'))).toEqual([id('cat.kim')]);
    expect(ids(org.byLevel(1))).toEqual([id('ann.lee')]);
    expect(org.byLevel(9)).toEqual([]);
    expect(org.byLevel('Intern')).toEqual([]);
  });

  it('searches names first, then other fields, requiring every word', () => {
    // "kim" is cat's surname; nobody else has it anywhere.
    expect(ids(org.search('kim'))).toEqual([id('cat.kim')]);
    // Title hits (seniors first) outrank cat, whose only match is the department name.
    expect(ids(org.search('engineer'))).toEqual([id('bob.ray'), id('dan.cho'), id('eve.fox'), id('cat.kim')]);
    // A name hit outranks a title hit even for someone junior.
    const named = new OrgDirectory(smallOrg().map((p) => (p.localpart === 'eve.fox' ? { ...p, name: 'Eve Vp', lastName: 'Vp' } : p)), DOMAIN);
    expect(ids(named.search('vp'))[0]).toBe(id('eve.fox'));
    expect(ids(org.search('core manager'))).toEqual([id('cat.kim')]);
    expect(ids(org.search('platform reliability'))).toEqual([id('eve.fox')]);
    expect(org.search('')).toEqual([]);
    expect(org.search('zzz')).toEqual([]);
    expect(org.search('engineer', 1)).toHaveLength(1);
  });

  it('finds by exact display name only', () => {
    expect(ids(org.findByName('dan cho'))).toEqual([id('dan.cho')]);
    expect(org.findByName('Dan')).toEqual([]);
  });

  it('cannot be changed through what it returns', () => {
    const p = org.get(id('dan.cho'))!;
    expect(() => { (p as { title: string }).title = 'x'; }).toThrow();
    org.all().pop();
    expect(org.size).toBe(6);
  });

  it('serves the generated company', () => {
    const big = new OrgDirectory(generateOrg({ domain: 'anycompany.corp', ceo: { name: 'Morgan Blake' } }), 'anycompany.corp');
    const someone = big.byLevel('IC')[100]!;
    const chain = big.chain(someone.matrixId);
    expect(chain.map((p) => p.level)).toEqual(['Manager', 'Director', 'VP', 'CEO']);
    expect(big.search(someone.name)[0]?.matrixId).toBe(someone.matrixId);
    expect(big.department('Engineering')).toHaveLength(350);
    expect(big.teams()).toHaveLength(28);
    expect(big.team('Platform').map((p) => p.department)).toEqual(expect.arrayContaining(['Engineering', 'Product']));
  });
});
