import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ensureRegistration, shardRegistration } from '../../../src/cli/credentials.ts';
import type { FleetContext } from '../../../src/cli/context.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';

const root = join(import.meta.dirname, '../../..');
const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);

function context(registrationPath?: string): FleetContext {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-'));
  const stateDir = join(dir, '.fleet');
  return { ...loadConfig({ root, env: {} }), stateDir, dataDir: join(stateDir, 'data'), cacheDir: join(dir, 'cache'),
    registrationPath: registrationPath ?? join(stateDir, 'registration.yaml') };
}

describe('registration for the router and the shards', () => {
  it('writes a registration whose namespace lists the agents, and rewrites it with the same tokens after a hire', () => {
    const ctx = context();
    const first = ensureRegistration(ctx, org, {});
    expect(statSync(ctx.registrationPath).mode & 0o777).toBe(0o600);
    const file = () => parse(readFileSync(ctx.registrationPath, 'utf8')) as { as_token: string; hs_token: string; namespaces: { users: Array<{ regex: string }> } };
    const before = file();
    expect(new RegExp(before.namespaces.users[0]!.regex).test(org.agents()[0]!.matrixId)).toBe(true);
    expect(new RegExp(before.namespaces.users[0]!.regex).test('@morgan.blake:anycompany.corp')).toBe(false);

    // Only the list of agents matters to the registration.
    const hired = { agents: () => [...org.agents(), { matrixId: `@new.hire:${D}`, localpart: 'new.hire' }], humans: () => org.humans() } as unknown as OrgDirectory;
    const second = ensureRegistration(ctx, hired, {});
    const after = file();
    expect(new RegExp(after.namespaces.users[0]!.regex).test(`@new.hire:${D}`)).toBe(true);
    expect([after.as_token, after.hs_token]).toEqual([before.as_token, before.hs_token]);
    expect([second.asToken, second.hsToken]).toEqual([first.asToken, first.hsToken]);
  });

  it('builds the router\'s registration from FLEET_AS_TOKEN and FLEET_HS_TOKEN when there is no file', () => {
    const reg = ensureRegistration(context(), org, { FLEET_AS_TOKEN: 'a'.repeat(64), FLEET_HS_TOKEN: 'h'.repeat(64) });
    expect([reg.asToken, reg.hsToken]).toEqual(['a'.repeat(64), 'h'.repeat(64)]);
  });

  it('gives a shard only the as_token: from FLEET_AS_TOKEN without any file, never asking for FLEET_HS_TOKEN', () => {
    const ctx = context();
    const reg = shardRegistration(ctx, org, { FLEET_AS_TOKEN: 'a'.repeat(64), FLEET_HS_TOKEN: 'h'.repeat(64) });
    expect(reg.asToken).toBe('a'.repeat(64));
    expect(reg.hsToken).toBeUndefined();
    expect(JSON.stringify(reg)).not.toContain('h'.repeat(64));
    expect(() => shardRegistration(context(), org, {})).toThrow(/FLEET_AS_TOKEN/);
  });

  it('reads a shard\'s as_token from the local file and drops the file\'s hs_token', () => {
    const ctx = context();
    const router = ensureRegistration(ctx, org, {});
    const shard = shardRegistration(ctx, org, {});
    expect(shard.asToken).toBe(router.asToken);
    expect(shard.hsToken).toBeUndefined();
    expect(JSON.stringify(shard)).not.toContain(router.hsToken);
  });

  it('uses the committed template in containers: tokens from the environment, namespace from the org, file untouched', () => {
    const template = join(root, 'registration.yaml');
    const before = readFileSync(template, 'utf8');
    const ctx = context(template);
    const env = { FLEET_AS_TOKEN: 'a'.repeat(64), FLEET_HS_TOKEN: 'h'.repeat(64) };
    const reg = ensureRegistration(ctx, org, env);
    expect(readFileSync(template, 'utf8')).toBe(before);
    expect([reg.asToken, reg.hsToken]).toEqual([env.FLEET_AS_TOKEN, env.FLEET_HS_TOKEN]);
    const users = reg.registration.getOutput().namespaces?.users ?? [];
    expect(users.some((u) => new RegExp(u.regex).test(org.agents()[500]!.matrixId))).toBe(true);
    expect(users.some((u) => new RegExp(u.regex).test('@morgan.blake:anycompany.corp'))).toBe(false);
    expect(shardRegistration(ctx, org, { FLEET_AS_TOKEN: env.FLEET_AS_TOKEN }).asToken).toBe(env.FLEET_AS_TOKEN);
    expect(() => shardRegistration(ctx, org, {})).toThrow(/placeholder/);
  });
});
