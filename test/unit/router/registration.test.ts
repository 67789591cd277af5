import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { buildRegistration, toLoadedRegistration, toShardRegistration, userNamespaceRegex } from '../../../src/matrix/registration.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const agents = org.agents().map((p) => p.localpart);
const raw = buildRegistration({ id: 'fleet', url: 'http://127.0.0.1:9000', domain: D, senderLocalpart: 'fleet-bot', agents });
const userRegex = (raw.namespaces as { users: Array<{ regex: string; exclusive: boolean }> }).users[0]!;

/** Python's `re.match` (Synapse) anchors at the start only; Rust's `is_match` (Conduit) anchors nowhere. Both must agree. */
const synapseMatches = (id: string) => new RegExp(userRegex.regex).exec(id)?.index === 0;
const conduitMatches = (id: string) => new RegExp(userRegex.regex).test(id);

describe('appservice registration', () => {
  it('claims every agent and the bot, and no human: the CEO\'s DMs are never pushed to the router', () => {
    expect(org.agents().length).toBeGreaterThan(900);
    for (const p of org.agents()) {
      expect(synapseMatches(p.matrixId), p.matrixId).toBe(true);
      expect(conduitMatches(p.matrixId), p.matrixId).toBe(true);
    }
    expect(conduitMatches('@fleet-bot:anycompany.corp')).toBe(true);
    for (const human of ['@morgan.blake:anycompany.corp', '@someone.else:anycompany.corp', '@admin:anycompany.corp']) {
      expect(synapseMatches(human), human).toBe(false);
      expect(conduitMatches(human), human).toBe(false);
    }
  });

  it('does not match look-alikes: longer localparts, other servers, unescaped dots', () => {
    const a = org.agents()[0]!.localpart;
    for (const id of [`@${a}x:${D}`, `@x${a}:${D}`, `@${a}:${D}.evil`, `@${a}:anycompanyXcorp`, `@${a.replace('.', 'x')}:${D}`]) {
      expect(conduitMatches(id), id).toBe(false);
    }
  });

  it('stays non-exclusive and portable: no lookaround (Conduit\'s Rust regex has none)', () => {
    expect(userRegex.exclusive).toBe(false);
    expect(userRegex.regex).not.toMatch(/\(\?[=!<]/);
    expect(userRegex.regex.startsWith('^@(?:')).toBe(true);
    expect(userNamespaceRegex(D, ['b.x', 'a.y', 'a.y'])).toBe('^@(?:a\\.y|b\\.x):anycompany\\.corp$');
  });

  const hasPython = spawnSync('python3', ['--version']).status === 0;
  it.skipIf(!hasPython)('is read the same by Python\'s re, as Synapse compiles it', () => {
    const ids = [...org.agents().slice(0, 50).map((p) => p.matrixId), '@fleet-bot:anycompany.corp', '@morgan.blake:anycompany.corp'];
    const script = 'import re,sys,json\nr=re.compile(sys.argv[1])\nprint(json.dumps([bool(r.match(i)) for i in json.loads(sys.stdin.read())]))';
    const res = spawnSync('python3', ['-c', script, userRegex.regex], { input: JSON.stringify(ids), encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual([...ids.slice(0, -1).map(() => true), false]);
  });

  it('gives a shard no hs_token, and the router one', () => {
    const router = toLoadedRegistration({ ...raw }, 'test');
    expect(router.hsToken).toBe(raw.hs_token);
    const shard = toShardRegistration({ ...raw }, 'test');
    expect(shard.hsToken).toBeUndefined();
    expect(shard.asToken).toBe(raw.as_token);
    expect(JSON.stringify(shard)).not.toContain(String(raw.hs_token));
    const { hs_token: _h, ...withoutHs } = raw;
    expect(toShardRegistration(withoutHs, 'env').asToken).toBe(raw.as_token);
    expect(() => toLoadedRegistration(withoutHs, 'env')).toThrow(/hs_token/);
  });
});
