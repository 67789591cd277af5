import { describe, expect, it } from 'vitest';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { addressing, type MentionContext } from '../../../src/router/mentions.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, size: 10_000, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } }), D);
const people = org.all();
const everyone = people.map((p) => p.matrixId); // #all-employees at 10,000
const CEO = everyone[0]!;

const context = (roomMembers: readonly string[], nameMatchMaxMembers?: number): MentionContext => ({
  isAgent: (id) => org.isAgent(id), displayNameOf: (id) => org.get(id)?.name, roomMembers, isDirectRoom: false,
  ...(nameMatchMaxMembers === undefined ? {} : { limits: { nameMatchMaxMembers } }),
});
const message = (content: Record<string, unknown>) => ({ type: 'm.room.message', sender: CEO, event_id: '$e', room_id: '!r', content: { msgtype: 'm.text', ...content } });

function microsPerEvent(n: number, run: () => unknown): number {
  const started = performance.now();
  for (let i = 0; i < n; i++) run();
  return ((performance.now() - started) / n) * 1000;
}

describe('mention detection in a 10,000-person org', { timeout: 60_000 }, () => {
  const named = [people[5000]!, people[9999]!];
  const text = `Can ${named[0]!.name} and ${named[1]!.name} send the numbers? ${'filler words here '.repeat(60)}`;

  it('costs microseconds per event in #all-employees: names are not matched there, m.mentions needs no member Set', () => {
    const legacy = message({ body: text });
    expect(addressing(legacy as never, context(everyone)).addressed).toEqual([]);
    expect(microsPerEvent(500, () => addressing(legacy as never, context(everyone)))).toBeLessThan(200);

    const intentional = message({ body: 'see above', 'm.mentions': { user_ids: named.map((p) => p.matrixId) } });
    expect(addressing(intentional as never, context(everyone)).addressed.map((a) => a.agentId)).toEqual(named.map((p) => p.matrixId));
    // Building a Set of 10,000 members per event took ~500 µs; two scans of the list take a few.
    expect(microsPerEvent(500, () => addressing(intentional as never, context(everyone)))).toBeLessThan(300);
  });

  it('matches names among 10,000 members when the limit is raised, within milliseconds per event', () => {
    const legacy = message({ body: text });
    const found = addressing(legacy as never, context(everyone, 20_000)).addressed.map((a) => a.agentId);
    expect(found).toEqual(named.map((p) => p.matrixId));
    expect(microsPerEvent(20, () => addressing(legacy as never, context(everyone, 20_000)))).toBeLessThan(100_000);
  });

  it('keeps the hostile-input bound: 10,000 ids in m.mentions wake at most the cap', () => {
    const flood = message({ body: 'x', 'm.mentions': { user_ids: everyone } });
    const started = performance.now();
    const result = addressing(flood as never, context(everyone));
    expect(performance.now() - started).toBeLessThan(500);
    expect(result.addressed).toHaveLength(8);
  });
});
