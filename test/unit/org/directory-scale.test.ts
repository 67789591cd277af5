import { describe, expect, it } from 'vitest';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, size: 10_000, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } }), D);
const people = org.all();

/** Mean microseconds per call over `n` calls. Bounds are ~100× what an idle machine takes: CI boxes are shared. */
function microsPerCall(n: number, call: (i: number) => unknown): number {
  const started = performance.now();
  for (let i = 0; i < n; i++) call(i);
  return ((performance.now() - started) / n) * 1000;
}

describe('the directory at 10,000 people', { timeout: 60_000 }, () => {
  it('answers id, localpart, name, manager chain and group lookups from indexes, not scans', () => {
    expect(microsPerCall(10_000, (i) => org.get(people[i]!.matrixId))).toBeLessThan(100);
    expect(microsPerCall(10_000, (i) => org.byLocalpart(people[i]!.localpart))).toBeLessThan(100);
    expect(microsPerCall(2000, (i) => org.resolve(people[i * 5]!.name))).toBeLessThan(500);
    expect(microsPerCall(10_000, (i) => org.chain(people[i]!.matrixId))).toBeLessThan(250);
    // A scan of 10,000 people costs ~1 ms here; these return prepared lists (agents() copies its 9,999).
    expect(microsPerCall(200, () => org.agents())).toBeLessThan(5000);
    expect(microsPerCall(200, () => org.humans())).toBeLessThan(500);
    expect(microsPerCall(200, (i) => org.team('Platform 2', 'Engineering')[i % 2])).toBeLessThan(500);
    expect(org.resolve(people[9999]!.name)).toBe(people[9999]);
  });

  it('searches (admin `who`, the people tool) in a few milliseconds over prepared fields', () => {
    const perQuery = microsPerCall(50, (i) => org.search(['aaron', 'platform manager', 'legal counsel', 'smith'][i % 4]!, 25));
    expect(perQuery).toBeLessThan(50_000);
    const [first] = org.search(people[7000]!.name);
    expect(first).toBe(people[7000]);
  });
});
