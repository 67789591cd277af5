import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrg } from '../../../src/org/load.ts';
import { OrgValidationError } from '../../../src/org/validate.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '../../../config/org.example.yaml');
const DOMAIN = 'anycompany.corp';
const CEO = { name: 'Morgan Blake', localpart: 'morgan.blake' };

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'org-')), name);
  writeFileSync(file, text);
  return file;
}

describe('loadOrg', () => {
  it('generates the company when no file is given', () => {
    const org = loadOrg({ domain: DOMAIN, ceo: CEO });
    expect(org.size).toBe(1001);
    expect(org.humans().map((p) => p.matrixId)).toEqual(['@morgan.blake:anycompany.corp']);
  });

  it('marks extra humans', () => {
    const generated = loadOrg({ domain: DOMAIN, ceo: CEO });
    const vp = generated.byLevel('VP')[0]!.matrixId;
    const org = loadOrg({ domain: DOMAIN, ceo: CEO, humans: [vp] });
    expect(org.isHuman(vp)).toBe(true);
    expect(org.agents()).toHaveLength(999);
    expect(() => loadOrg({ domain: DOMAIN, ceo: CEO, humans: ['@nobody:anycompany.corp'] }))
      .toThrow(/humans: '@nobody:anycompany.corp' is not in the org directory/);
  });

  it('loads the example YAML file, deriving what it leaves out', () => {
    const org = loadOrg({ domain: DOMAIN, ceo: CEO, file: EXAMPLE });
    expect(org.size).toBe(8);
    expect(org.humans().map((p) => p.name)).toEqual(['Morgan Blake']);
    const lee = org.get('@lee.chen:anycompany.corp')!;
    expect(lee).toMatchObject({ localpart: 'lee.chen', firstName: 'Lee', lastName: 'Chen', human: false, team: 'Platform' });
    expect(org.chain(lee.matrixId).map((p) => p.localpart)).toEqual(['priya.nair', 'sam.okafor', 'dana.reyes', 'morgan.blake']);
    expect(org.reports('@priya.nair:anycompany.corp').map((p) => p.localpart)).toEqual(['lee.chen', 'tomas.novak']);
    expect(org.get('@dana.reyes:anycompany.corp')?.team).toBeNull();
  });

  it('loads JSON by extension, including the seed project shape with extra keys', () => {
    const file = tempFile('org.json', JSON.stringify({
      departments: [{ name: 'Executive' }],
      people: [
        { matrixId: '@a.b:anycompany.corp', name: 'A B', title: 'CEO', level: 'CEO', department: 'Executive', team: null, reportsTo: null, directReports: ['@c.d:anycompany.corp'] },
        { matrixId: '@c.d:anycompany.corp', name: 'C D', title: 'VP of X', level: 'VP', department: 'X', team: null, reportsTo: '@a.b:anycompany.corp', directReports: [] },
      ],
    }));
    const org = loadOrg({ domain: DOMAIN, ceo: CEO, file, humans: ['@a.b:anycompany.corp'] });
    expect(org.manager('@c.d:anycompany.corp')?.name).toBe('A B');
    expect(org.isHuman('@a.b:anycompany.corp')).toBe(true);
  });

  it('names the file when it is missing, unparsable or of an unknown type', () => {
    const missing = '/nonexistent/org.yaml';
    expect(() => loadOrg({ domain: DOMAIN, ceo: CEO, file: missing })).toThrow(`org file '${missing}' could not be read`);
    const bad = tempFile('org.yaml', 'people: [ {matrixId: "@a:b"');
    expect(() => loadOrg({ domain: DOMAIN, ceo: CEO, file: bad })).toThrow(`org file '${bad}' is not valid YAML`);
    const badJson = tempFile('org.json', '{"people": [');
    expect(() => loadOrg({ domain: DOMAIN, ceo: CEO, file: badJson })).toThrow(`org file '${badJson}' is not valid JSON`);
    const txt = tempFile('org.txt', 'people: []');
    expect(() => loadOrg({ domain: DOMAIN, ceo: CEO, file: txt })).toThrow(/unknown extension '.txt'/);
  });

  it('reports entries of the wrong shape per person, naming the file', () => {
    const file = tempFile('org.yaml', [
      'people:',
      '  - { matrixId: "@a.b:anycompany.corp", name: A B, title: CEO, level: CEO, department: Exec, reportsTo: null }',
      '  - { matrixId: "@c.d:anycompany.corp", name: C D, title: VP, level: Boss, department: X, reports_to: "@a.b:anycompany.corp" }',
    ].join('\n'));
    const error = (() => { try { loadOrg({ domain: DOMAIN, ceo: CEO, file }); } catch (e) { return e as Error; } })();
    expect(error).toBeInstanceOf(OrgValidationError);
    expect(error!.message).toContain(`org file '${file}' is invalid`);
    const problems = (error as OrgValidationError).problems.join('\n');
    expect(problems).toMatch(/person #2 '@c.d:anycompany.corp': level: /);
    expect(problems).toMatch(/person #2 '@c.d:anycompany.corp': .*reports_to/);
    expect(() => loadOrg({ domain: DOMAIN, ceo: CEO, file: tempFile('empty.yaml', '') })).toThrow(/expected `people:`/);
  });

  it('validates file contents against the configured domain', () => {
    expect(() => loadOrg({ domain: 'other.corp', ceo: CEO, file: EXAMPLE })).toThrow(/is not on the domain other.corp/);
  });
});
