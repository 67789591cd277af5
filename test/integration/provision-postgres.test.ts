import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBenchHomeserver, type BenchHomeserver } from '../../src/bench/homeserver.ts';
import { isAlive } from '../../src/homeserver/processes.ts';
import { LocalSynapse } from '../../src/homeserver/synapse.ts';
import { loadOrg } from '../../src/org/load.ts';
import { provisionOrg } from '../../src/provision/index.ts';
import { CEO } from '../helpers/fleet.ts';
import { freePort } from '../helpers/ports.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'org-small.yaml');
const cacheDir = process.env.FLEET_CACHE_DIR ?? join(homedir(), '.cache', 'open-claw-fleet');
const instance = `${process.env.FLEET_TEST_INSTANCE ?? 'vitest'}-postgres`;

/** `./fleet up`'s default homeserver: Synapse on its own PostgreSQL in the chroot (installed there if missing). */
describe('Synapse on PostgreSQL', () => {
  let hs: BenchHomeserver | undefined;
  const workDir = mkdtempSync(join(tmpdir(), 'fleet-postgres-'));
  const root = join(cacheDir, 'synapse-root');

  afterAll(async () => {
    await hs?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('runs Synapse on its own PostgreSQL, provisions an org on it, and wipes both', async () => {
    const org = loadOrg({ domain: 'anycompany.corp', ceo: { name: CEO.name }, file: FIXTURE });
    hs = await startBenchHomeserver({
      cacheDir, instance, serverName: org.domain, appserviceId: 'open-claw-fleet-pg', senderLocalpart: 'fleet-bot',
      agents: org.agents().map((p) => p.localpart), routerUrl: `http://127.0.0.1:${await freePort()}`, workDir, progress: () => {},
      database: 'postgres',
    });
    const dir = join(root, 'srv', instance);
    expect(LocalSynapse.databaseInUse(root, instance)).toBe('postgres');
    expect(readFileSync(join(dir, 'homeserver.yaml'), 'utf8')).toContain('psycopg2');
    expect(existsSync(join(dir, 'homeserver.db'))).toBe(false);

    await hs.registerUser(CEO.localpart, CEO.password);
    const run = () => provisionOrg({ org, registration: hs!.registration, homeserverUrl: hs!.url, dataDir: workDir, progress: 'none' });
    const first = await run();
    expect(first.failed).toBe(0);
    expect(first.created.users).toBe(org.agents().length);
    expect(first.created.rooms).toBe(2 + org.departments().length + org.teams().length);
    const again = await run();
    expect(again.failed + again.created.joins + again.created.users).toBe(0);

    const postmaster = Number(readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    await hs.close();
    hs = undefined;
    expect(existsSync(dir)).toBe(false);
    expect(isAlive(postmaster)).toBe(false);
  }, 300_000);
});
