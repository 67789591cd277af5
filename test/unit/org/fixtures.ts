import type { Person } from '../../../src/org/types.ts';

export const DOMAIN = 'test.corp';

export function person(localpart: string, reportsTo: string | null, extra: Partial<Person> = {}): Person {
  const [first = '', last = ''] = localpart.split('.');
  const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  return {
    matrixId: `@${localpart}:${DOMAIN}`,
    localpart,
    name: `${cap(first)} ${cap(last)}`,
    firstName: cap(first),
    lastName: cap(last),
    title: 'Engineer',
    level: 'IC',
    department: 'Engineering',
    team: 'Core',
    reportsTo: reportsTo === null ? null : `@${reportsTo}:${DOMAIN}`,
    directReports: [],
    human: false,
    ...extra,
  };
}

/** ann (CEO, human) <- bob (VP) <- cat (Manager) <- dan, eve (IC); ann <- fay (VP Sales). */
export function smallOrg(): Person[] {
  const people = [
    person('ann.lee', null, { level: 'CEO', title: 'CEO', department: 'Executive', team: null, human: true }),
    person('bob.ray', 'ann.lee', { level: 'VP', title: 'VP of Engineering', team: null }),
    person('cat.kim', 'bob.ray', { level: 'Manager', title: 'Core Manager' }),
    person('dan.cho', 'cat.kim', { title: 'Senior Software Engineer' }),
    person('eve.fox', 'cat.kim', { title: 'Site Reliability Engineer', team: 'Platform' }),
    person('fay.dunn', 'ann.lee', { level: 'VP', title: 'VP of Sales', department: 'Sales', team: null }),
  ];
  for (const p of people) p.directReports = people.filter((q) => q.reportsTo === p.matrixId).map((q) => q.matrixId);
  return people;
}
