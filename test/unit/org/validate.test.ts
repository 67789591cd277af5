import { describe, expect, it } from 'vitest';
import { OrgValidationError, orgProblems, validateOrg } from '../../../src/org/validate.ts';
import type { Person } from '../../../src/org/types.ts';
import { DOMAIN, person, smallOrg } from './fixtures.ts';

function problemsAfter(change: (people: Person[]) => void): string[] {
  const people = smallOrg();
  change(people);
  return orgProblems(people, DOMAIN);
}

const at = (people: Person[], localpart: string): Person => people.find((p) => p.localpart === localpart)!;

describe('validateOrg', () => {
  it('accepts a sound org', () => {
    expect(() => validateOrg(smallOrg(), DOMAIN)).not.toThrow();
  });

  it('throws OrgValidationError listing every problem with the person it concerns', () => {
    const people = smallOrg();
    at(people, 'dan.cho').reportsTo = '@ghost:test.corp';
    at(people, 'eve.fox').title = '';
    let error: unknown;
    try {
      validateOrg(people, DOMAIN);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OrgValidationError);
    const { problems, message } = error as OrgValidationError;
    expect(problems).toContain("person #4 '@dan.cho:test.corp': reportsTo '@ghost:test.corp' is not in the directory");
    expect(problems).toContain("person #5 '@eve.fox:test.corp': title is missing or empty");
    for (const p of problems) expect(message).toContain(p);
  });

  it('reports duplicate matrix ids', () => {
    const problems = problemsAfter((people) => people.push(person('dan.cho', 'cat.kim')));
    expect(problems).toContain("person #7 '@dan.cho:test.corp': duplicate matrixId, already used by person #4 '@dan.cho:test.corp'");
  });

  it('reports ids off the domain and malformed ids', () => {
    expect(problemsAfter((people) => { at(people, 'fay.dunn').matrixId = '@fay.dunn:other.corp'; }))
      .toContain("person #6 '@fay.dunn:other.corp': matrixId '@fay.dunn:other.corp' is not on the domain test.corp");
    expect(problemsAfter((people) => { at(people, 'fay.dunn').matrixId = 'Fay Dunn'; }).join('\n'))
      .toMatch(/person #6 'Fay Dunn': matrixId 'Fay Dunn' is not of the form @first.last:test.corp/);
    expect(problemsAfter((people) => { at(people, 'fay.dunn').matrixId = '@Fay.Dunn:test.corp'; }).join('\n'))
      .toMatch(/matrixId '@Fay.Dunn:test.corp' is not of the form/);
  });

  it('reports a localpart that disagrees with the id', () => {
    expect(problemsAfter((people) => { at(people, 'fay.dunn').localpart = 'fay'; }))
      .toContain("person #6 '@fay.dunn:test.corp': localpart 'fay' does not match matrixId '@fay.dunn:test.corp'");
  });

  it('reports reporting cycles once, naming the loop', () => {
    const problems = problemsAfter((people) => {
      // bob -> cat -> bob, detached from the CEO
      at(people, 'bob.ray').reportsTo = '@cat.kim:test.corp';
      at(people, 'ann.lee').directReports = ['@fay.dunn:test.corp'];
      at(people, 'cat.kim').directReports.push('@bob.ray:test.corp');
    });
    expect(problems).toEqual(['reporting cycle: @bob.ray:test.corp -> @cat.kim:test.corp -> @bob.ray:test.corp (someone in it must report outside the loop)']);
  });

  it('reports someone reporting to themselves', () => {
    expect(problemsAfter((people) => { at(people, 'fay.dunn').reportsTo = '@fay.dunn:test.corp'; }))
      .toContain("person #6 '@fay.dunn:test.corp': reports to themselves");
  });

  it('requires exactly one root', () => {
    expect(problemsAfter((people) => { at(people, 'fay.dunn').reportsTo = null; }).join('\n'))
      .toMatch(/2 people report to nobody \(person #1 '@ann.lee:test.corp', person #6 '@fay.dunn:test.corp'\)/);
    expect(problemsAfter((people) => { at(people, 'ann.lee').reportsTo = '@fay.dunn:test.corp'; }).join('\n'))
      .toMatch(/nobody has reportsTo null/);
  });

  it('reports directReports that disagree with reportsTo', () => {
    expect(problemsAfter((people) => { at(people, 'cat.kim').directReports = ['@dan.cho:test.corp']; }))
      .toContain("person #3 '@cat.kim:test.corp': '@eve.fox:test.corp' reports to them but is missing from their directReports");
    expect(problemsAfter((people) => { at(people, 'fay.dunn').directReports = ['@dan.cho:test.corp']; }))
      .toContain("person #6 '@fay.dunn:test.corp': directReports lists '@dan.cho:test.corp', but @dan.cho:test.corp reports to '@cat.kim:test.corp'");
    expect(problemsAfter((people) => { at(people, 'fay.dunn').directReports = ['@nobody:test.corp']; }))
      .toContain("person #6 '@fay.dunn:test.corp': directReports lists '@nobody:test.corp', who is not in the directory");
  });

  it('reports missing fields and wrong level values', () => {
    const problems = problemsAfter((people) => {
      const dan = at(people, 'dan.cho') as unknown as Record<string, unknown>;
      dan.level = 'Intern';
      delete dan.department;
      dan.human = 'no';
    });
    expect(problems).toEqual(expect.arrayContaining([
      "person #4 '@dan.cho:test.corp': level 'Intern' is not one of CEO, VP, Director, Manager, IC",
      "person #4 '@dan.cho:test.corp': department is missing or empty",
      "person #4 '@dan.cho:test.corp': human must be true or false",
    ]));
  });

  it('rejects an empty directory and non-records', () => {
    expect(orgProblems([], DOMAIN)).toEqual(['the directory has nobody in it']);
    expect(orgProblems([null as unknown as Person], DOMAIN)[0]).toMatch(/person #1: is not a record/);
  });

  it('keeps the message readable when there are many problems', () => {
    const people = smallOrg();
    for (let i = 0; i < 40; i++) people.push(person(`x.y${i}`, 'ghost'));
    const error = (() => { try { validateOrg(people, DOMAIN); } catch (e) { return e as OrgValidationError; } })()!;
    expect(error.problems).toHaveLength(40);
    expect(error.message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(25);
    expect(error.message).toMatch(/… and \d+ more$/);
  });
});
