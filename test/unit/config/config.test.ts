import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envOverrides, loadConfig } from '../../../src/config/load.ts';

const root = join(import.meta.dirname, '../../..');

function withConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-config-'));
  writeFileSync(join(dir, 'fleet.yaml'), yaml);
  return join(dir, 'fleet.yaml');
}

describe('configuration', () => {
  it('loads the shipped config/fleet.yaml', () => {
    const { config } = loadConfig({ root, env: {} });
    expect(config.domain).toBe('anycompany.corp');
    expect(config.shards.count).toBeGreaterThanOrEqual(1);
  });

  it('applies FLEET_* overrides with nested keys and typed values', () => {
    const { config } = loadConfig({ root, env: { FLEET_SHARDS__COUNT: '3', FLEET_HOMESERVER__URL: 'http://conduit:6167', FLEET_DOMAIN: 'example.org' } });
    expect(config.shards.count).toBe(3);
    expect(config.homeserver.url).toBe('http://conduit:6167');
    expect(config.domain).toBe('example.org');
  });

  it('does not treat secrets as config keys', () => {
    expect(envOverrides({ FLEET_AS_TOKEN: 'x', FLEET_SHARD_SECRET: 'y', FLEET_ROUTER__PORT: '1' }).map((o) => o.name)).toEqual(['FLEET_ROUTER__PORT']);
  });

  it('reports every problem at once, naming the variable a bad value came from', () => {
    const base = readFileSync(join(root, 'config/fleet.yaml'), 'utf8');
    const file = withConfig(base.replace('port: 9000', 'port: 99999'));
    try {
      loadConfig({ root, file, env: { FLEET_SHARDS__COUNT: 'many' } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain('router.port');
      expect(msg).toContain('shards.count (from FLEET_SHARDS__COUNT)');
    }
  });

  it('explains a missing file and invalid YAML', () => {
    expect(() => loadConfig({ root, file: '/nonexistent/fleet.yaml', env: {} })).toThrow(/file not found/);
    expect(() => loadConfig({ root, file: withConfig('domain: [unclosed'), env: {} })).toThrow(/not valid YAML/);
  });
});
