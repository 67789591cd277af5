import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_COMMAND_PATH } from '../../../src/admin/commands.ts';
import { buildRegistration, toLoadedRegistration } from '../../../src/matrix/registration.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { autoscaleSchema } from '../../../src/router/autoscaler.ts';
import { startRouter, type RunningRouter } from '../../../src/router/router.ts';
import { fakeHomeserver, SECRETS, until, type FakeHomeserver } from '../metrics/in-process-fleet.ts';
import { freePort } from '../../helpers/ports.ts';

const DOMAIN = 'fake.test';

/** The autoscaler as the router wires it: its load, its driver calls, #fleet-admin and /metrics. */
describe('router with shards.autoscale on', () => {
  let hs: FakeHomeserver;
  let router: RunningRouter;
  let base: string;
  let dataDir: string;
  const scaled: number[] = [];

  beforeAll(async () => {
    const org = new OrgDirectory(generateOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } }), DOMAIN);
    hs = await fakeHomeserver([]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const registration = toLoadedRegistration(buildRegistration({
      id: 'fleet', url: base, domain: DOMAIN, senderLocalpart: 'fleet-bot', agents: org.agents().map((p) => p.localpart),
      asToken: SECRETS.asToken, hsToken: SECRETS.hsToken,
    }), 'test');
    dataDir = mkdtempSync(join(tmpdir(), 'fleet-autoscale-'));
    router = await startRouter({
      org, registration, homeserverUrl: hs.url, shardSecret: SECRETS.fleetSecret, dbPath: join(dataDir, 'router.sqlite'),
      host: '127.0.0.1', port, deadShardAfterMs: 60_000, heartbeatMs: 100,
      // min 2 with one shard running: the autoscaler must bring the fleet up to its floor through scaleShards.
      autoscale: autoscaleSchema.parse({ enabled: true, min: 2, max: 3, intervalMs: 100, upSustainMs: 0, upCooldownMs: 0 }),
      scaleShards: async (n) => { scaled.push(n); },
    });
    router.registry.heartbeat({ shardId: 'shard-0', url: 'http://127.0.0.1:9/', startedAt: 1 } as never);
  });
  afterAll(async () => {
    await router.close();
    await hs.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const admin = async (command: string) => {
    const res = await fetch(`${base}${ADMIN_COMMAND_PATH}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.fleetSecret}` }, body: JSON.stringify({ command }),
    });
    return JSON.stringify(await res.json());
  };

  it('scales through the driver, and shows its decision in status, shards and /metrics', async () => {
    await until(() => scaled.length > 0, 5000);
    expect(scaled).toEqual([2]);
    const status = await admin('status');
    expect(status).toContain('Autoscale: on, 2–3 shards, 2 shard(s) set');
    expect(status).toContain('Last change');
    expect(await admin('shards')).toContain('Autoscale: on');
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${SECRETS.fleetSecret}` } })).text();
    expect(metrics).toMatch(/fleet_router_autoscale_wanted_shards 2/);
    expect(metrics).toMatch(/fleet_router_autoscale_decisions_total\{direction="up"\} 1/);
  });

  it('lets an operator\'s scale through and counts from it', async () => {
    await admin('scale 3');
    expect(scaled.at(-1)).toBe(3);
    expect(await admin('status')).toContain('3 shard(s) set');
  });
});
