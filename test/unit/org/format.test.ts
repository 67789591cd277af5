import { describe, expect, it } from 'vitest';
import { formatOrgTable, orgToJson } from '../../../src/org/format.ts';
import { smallOrg } from './fixtures.ts';

describe('org list formatting', () => {
  it('prints a header and one aligned row per person', () => {
    const lines = formatOrgTable(smallOrg()).split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^matrixId\s+name\s+title\s+level\s+department\s+team\s+reportsTo\s+human$/);
    expect(lines[1]).toMatch(/^@ann\.lee:test\.corp\s+Ann Lee\s+CEO\s+CEO\s+Executive\s+-\s+-\s+yes$/);
    // Columns line up: each cell of a column starts at the same offset.
    const teamColumn = lines[0]!.indexOf('team');
    expect(lines[4]!.slice(teamColumn).startsWith('Core ')).toBe(true);
    expect(lines[4]!.endsWith('no')).toBe(true);
  });

  it('exports the same fields as JSON', () => {
    const rows = orgToJson(smallOrg());
    expect(rows[2]).toEqual({
      matrixId: '@cat.kim:test.corp', name: 'Cat Kim', title: 'Core Manager', level: 'Manager',
      department: 'Engineering', team: 'Core', reportsTo: '@bob.ray:test.corp', human: false,
    });
    expect(Object.keys(rows[0]!)).not.toContain('directReports');
  });
});
