import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

/** deploy/compose.yaml as compose sees it: anchors and `<<` merge keys resolved (variables left as written). */
const compose = parse(readFileSync(new URL('../../../deploy/compose.yaml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; command?: string[]; ports?: string[]; profiles?: string[]; depends_on?: unknown }>;
};
const services = compose.services;
const shards = Object.keys(services).filter((n) => /^shard-\d+$/.test(n));

describe('deploy/compose.yaml', () => {
  it('gives each shard its own id, advertised url and token variable, and nothing else secret', () => {
    expect(shards.length).toBeGreaterThanOrEqual(2);
    const tokens = new Set<string>();
    for (const name of shards) {
      const env = services[name]!.environment!;
      const n = name.slice('shard-'.length);
      expect(env.FLEET_SHARD_ID).toBe(name);
      expect(env.FLEET_SHARDS__ADVERTISE_URL).toBe(`http://${name}:9100`);
      expect(env.FLEET_SHARD_TOKEN).toMatch(new RegExp(`^\\$\\{FLEET_SHARD_TOKEN_${n}:\\?`));
      tokens.add(env.FLEET_SHARD_TOKEN!);
      expect(env.FLEET_AS_TOKEN).toMatch(/^\$\{FLEET_AS_TOKEN:\?/);
      expect(Object.keys(env).filter((k) => /TOKEN|SECRET|PASSWORD/.test(k)).sort()).toEqual(['FLEET_AS_TOKEN', 'FLEET_SHARD_TOKEN']);
      expect(services[name]!.ports).toBeUndefined();
      expect(services[name]!.depends_on).toEqual({ router: { condition: 'service_healthy' } });
    }
    expect(tokens.size).toBe(shards.length);
  });

  it('gives the router the three secrets, the command center, and lets it accept every shard service\'s url', () => {
    const env = services.router!.environment!;
    expect(services.router!.command).toEqual(['router']);
    for (const k of ['FLEET_AS_TOKEN', 'FLEET_HS_TOKEN', 'FLEET_SHARD_SECRET']) expect(env[k]).toMatch(new RegExp(`^\\$\\{${k}:\\?`));
    expect(env).toMatchObject({ FLEET_WEB__ENABLED: 'true', FLEET_WEB__HOST: '0.0.0.0', FLEET_HOMESERVER__URL: 'http://conduit:6167' });
    const hosts = /^\$\{FLEET_SHARD_HOSTS:-\[(.*)\]\}$/.exec(env.FLEET_SHARDS__ALLOWED_HOSTS!)![1]!.split(',').map((h) => h.trim());
    expect(hosts).toEqual(shards);
    expect(env.FLEET_SHARDS__COUNT).toBe(`\${FLEET_SHARDS:-${shards.length}}`);
  });

  it('publishes only Conduit and the command center, on loopback, and keeps federation off', () => {
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => [name, p]));
    expect(published).toEqual([
      ['conduit', expect.stringMatching(/^127\.0\.0\.1:\$\{CONDUIT_PUBLISHED_PORT:-6167\}:6167$/)],
      ['router', expect.stringMatching(/^127\.0\.0\.1:\$\{WEB_PUBLISHED_PORT:-8080\}:8080$/)],
    ]);
    expect(services.conduit!.environment).toMatchObject({ CONDUIT_ALLOW_FEDERATION: 'false', CONDUIT_CONFIG: '' });
    expect(services.conduit!.environment!.CONDUIT_REGISTRATION_TOKEN).toMatch(/^\$\{CONDUIT_REGISTRATION_TOKEN:\?/);
  });

  it('keeps the registration tool out of `up` and writes the file for register-appservice', () => {
    expect(services.registration!.profiles).toEqual(['tools']);
    expect(services.registration!.command).toEqual(['registration', '--keep-tokens', '--url', 'http://router:9000', '--out', '/out/registration.yaml']);
  });
});
