import { describe, expect, it } from 'vitest';
import { generateOrg } from '../../../src/org/generator.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { liveAgentsSchema, notStaffedNotice, selectLiveAgents } from '../../../src/provision/live.ts';

const DOMAIN = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake' } }), DOMAIN);

describe('selectLiveAgents', () => {
  it("'all' is every agent and never the human CEO", () => {
    const live = selectLiveAgents(org, liveAgentsSchema.parse('all'));
    expect(live.size).toBe(1000);
    expect(live.has('@morgan.blake:anycompany.corp')).toBe(false);
  });

  it('takes per-department head-counts by level, the first in directory order', () => {
    const cfg = liveAgentsSchema.parse({ Engineering: { vp: 1, directors: 2, managers: 3, ics: 10 }, sales: { ics: 1 } });
    const live = [...selectLiveAgents(org, cfg)].map((id) => org.get(id)!);
    const count = (dept: string, level: string) => live.filter((p) => p.department === dept && p.level === level).length;
    expect([count('Engineering', 'VP'), count('Engineering', 'Director'), count('Engineering', 'Manager'), count('Engineering', 'IC')]).toEqual([1, 2, 3, 10]);
    expect(count('Sales', 'IC')).toBe(1);
    expect(live).toHaveLength(17);
    const firstDirectors = org.department('Engineering').filter((p) => p.level === 'Director').slice(0, 2).map((p) => p.matrixId);
    expect(live.filter((p) => p.level === 'Director' && p.department === 'Engineering').map((p) => p.matrixId)).toEqual(firstDirectors);
  });

  it('accepts an explicit list of ids or localparts and rejects strangers', () => {
    const someone = org.byLevel('IC')[0]!;
    expect(selectLiveAgents(org, [someone.localpart, '@morgan.blake:anycompany.corp'])).toEqual(new Set([someone.matrixId]));
    expect(() => selectLiveAgents(org, ['nobody.here'])).toThrow(/nobody\.here/);
  });

  it('rejects unknown departments and malformed counts', () => {
    expect(() => selectLiveAgents(org, { Engineerign: { ics: 1 } })).toThrow(/unknown department 'Engineerign'/);
    expect(liveAgentsSchema.safeParse({ Engineering: { ics: -1 } }).success).toBe(false);
    expect(liveAgentsSchema.safeParse({ Engineering: { interns: 1 } }).success).toBe(false);
  });

  it('words the not-staffed notice with the person', () => {
    const p = org.byLevel('VP')[0]!;
    expect(notStaffedNotice(p)).toContain(p.name);
    expect(notStaffedNotice(p)).toContain(p.title);
  });
});
