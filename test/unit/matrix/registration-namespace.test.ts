import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AUTO_LIST_MAX_BYTES, allButNamespace, listNamespace, userNamespaceFor } from '../../../src/matrix/namespace.ts';
import { buildRegistration } from '../../../src/matrix/registration.ts';
import { generateOrg } from '../../../src/org/generator.ts';

const D = 'anycompany.corp';
const HUMANS = ['morgan.blake', 'ana', 'ana.b', 'an', 'x-y/z+w=v_u', 'aaron.phillips'];

/** Ids around the humans: prefixes, extensions, one-character changes, other servers; plus arbitrary ones. */
function probes(humans: readonly string[]): string[] {
  const out = new Set<string>(['@a:' + D, '@fleet-bot:' + D, '@' + ':' + D, '@morgan.blake:' + D + 'x', '@morgan.blake:other.org']);
  for (const h of humans) {
    for (let i = 1; i <= h.length; i++) out.add(`@${h.slice(0, i)}:${D}`);
    for (const extra of ['x', '.', '2', '-', ':', '']) out.add(`@${h}${extra}:${D}`);
    for (let i = 0; i < h.length; i++) out.add(`@${h.slice(0, i)}q${h.slice(i + 1)}:${D}`);
    out.add(`@x${h}:${D}`);
  }
  return [...out];
}

/** What the complement must answer: a localpart on the domain without ':' that is not a human's. */
function expected(id: string, humans: readonly string[]): boolean {
  const suffix = `:${D}`;
  if (!id.startsWith('@') || !id.endsWith(suffix)) return false;
  const lp = id.slice(1, -suffix.length);
  return lp.length > 0 && !lp.includes(':') && !humans.includes(lp);
}

/** Conduit's `regex` crate has no lookaround and no backreferences; only these constructs appear. */
function usesOnlyPortableSyntax(regex: string): boolean {
  if (/\(\?[=!<]|\\[1-9]|\\[pPbBdDwWsS]/.test(regex)) return false;
  const token = /\\[.*+?^${}()|[\]\\\-]|\[\^?(?:\\.|[^\]\\])*\]|\(\?:|[()|*+?^$]|[a-z0-9@:._=/-]/gy;
  let length = 0;
  for (let m = token.exec(regex); m; m = token.exec(regex)) length += m[0].length;
  return length === regex.length;
}

const python = (regex: string, ids: string[]): boolean[] => {
  const script = 'import re,sys,json\nr=re.compile(sys.argv[1])\nprint(json.dumps([bool(r.match(i)) for i in json.loads(sys.stdin.read())]))';
  const res = spawnSync('python3', ['-c', script, regex], { input: JSON.stringify(ids), encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout) as boolean[];
};
const hasPython = spawnSync('python3', ['--version']).status === 0;

describe('user namespace: all-but-humans (the regular complement of the humans)', () => {
  const regex = allButNamespace(D, HUMANS);
  const ids = probes(HUMANS);

  it('matches every non-human localpart and no human, also where humans are prefixes of each other', () => {
    const re = new RegExp(regex);
    for (const id of ids) expect(re.test(id), id).toBe(expected(id, HUMANS));
    expect(ids.filter((id) => expected(id, HUMANS)).length).toBeGreaterThan(50);
    for (const h of HUMANS) expect(re.test(`@${h}:${D}`), h).toBe(false);
  });

  it('is read the same by Python\'s re (Synapse) and uses no lookaround or backreference (Conduit\'s Rust regex)', () => {
    expect(usesOnlyPortableSyntax(regex), regex).toBe(true);
    expect(usesOnlyPortableSyntax('^@(?!morgan):x$')).toBe(false); // the checker itself can fail
    if (!hasPython) return;
    expect(python(regex, ids)).toEqual(ids.map((id) => expected(id, HUMANS)));
  });

  it('stays small whatever the org size: about 200 bytes per human, nothing per agent', () => {
    const big = generateOrg({ domain: D, size: 10_000, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } });
    const humans = ['morgan.blake', ...big.slice(1, 21).map((p) => p.localpart)]; // the CEO and 20 listed humans
    const complement = allButNamespace(D, humans);
    expect(Buffer.byteLength(complement)).toBeLessThan(humans.length * 256);
    const re = new RegExp(complement);
    for (const p of big) expect(re.test(p.matrixId), p.matrixId).toBe(!humans.includes(p.localpart));
    const list = listNamespace(D, big.slice(1).map((p) => p.localpart));
    expect(Buffer.byteLength(list)).toBeGreaterThan(140_000); // what the list would cost
  });

  it('with no humans is every localpart on the domain', () => {
    const re = new RegExp(allButNamespace(D, []));
    expect(re.test(`@anyone:${D}`)).toBe(true);
    expect(re.test(`@:${D}`)).toBe(false);
    expect(re.test('@anyone:other.org')).toBe(false);
  });
});

describe('user namespace: auto', () => {
  const seedOrg = generateOrg({ domain: D, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } });
  const agentsOf = (people: typeof seedOrg) => ['fleet-bot', ...people.filter((p) => !p.human).map((p) => p.localpart)];

  it('keeps the list for the seed org (the registration the fleet always wrote) and switches to the complement past the limit', () => {
    expect(userNamespaceFor('auto', D, agentsOf(seedOrg), ['morgan.blake'])).toBe(listNamespace(D, agentsOf(seedOrg)));
    const big = generateOrg({ domain: D, size: 5000, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } });
    expect(Buffer.byteLength(listNamespace(D, agentsOf(big)))).toBeGreaterThan(AUTO_LIST_MAX_BYTES);
    expect(userNamespaceFor('auto', D, agentsOf(big), ['morgan.blake'])).toBe(allButNamespace(D, ['morgan.blake']));
    expect(userNamespaceFor('list', D, agentsOf(big), ['morgan.blake'])).toBe(listNamespace(D, agentsOf(big)));
  });

  it('is what buildRegistration writes, non-exclusive; the complement needs the humans', () => {
    const raw = buildRegistration({ id: 'f', url: 'http://x:1', domain: D, senderLocalpart: 'fleet-bot', agents: ['a.b'], humans: ['morgan.blake'], namespace: 'all-but-humans' });
    expect((raw.namespaces as { users: unknown[] }).users).toEqual([{ exclusive: false, regex: allButNamespace(D, ['morgan.blake']) }]);
    expect(() => buildRegistration({ id: 'f', url: 'http://x:1', domain: D, senderLocalpart: 'fleet-bot', agents: [], namespace: 'auto' })).toThrow(/humans/);
  });
});
