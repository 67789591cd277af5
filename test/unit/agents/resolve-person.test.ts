import { describe, expect, it } from 'vitest';
import { resolvePerson } from '../../../src/agents/tools/resolve-person.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const someone = org.agents()[3]!;

describe('resolvePerson', () => {
  it('finds a colleague by id, localpart or name', () => {
    for (const ref of [someone.matrixId, someone.localpart, `@${someone.localpart}`, someone.name]) {
      expect(resolvePerson(org, ref, D)).toMatchObject({ kind: 'found', person: { matrixId: someone.matrixId } });
    }
  });

  it('never maps an id on another server to the local colleague of the same localpart', () => {
    expect(resolvePerson(org, `@${someone.localpart}:evil.org`, D)).toEqual({ kind: 'unknown' });
  });
});
