import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetConfig } from '../../config/schema.ts';
import type { SynapseDatabase } from '../../homeserver/synapse.ts';
import { OrgDirectory } from '../../org/directory.ts';
import { generateOrg } from '../../org/generator.ts';
import { provisionOrg, type ProvisionResult } from '../../provision/index.ts';
import { startBenchHomeserver } from '../homeserver.ts';
import { freePort } from '../processes.ts';
import type { BenchResult } from '../types.ts';

export interface ProvisioningScenarioOptions {
  org: OrgDirectory;
  config: FleetConfig;
  cacheDir: string;
  /** Base Synapse instance name; this scenario uses its own fresh instance beside it. */
  instance: string;
  workDir: string;
  progress: (line: string) => void;
}

const LARGE = 10_000;

/**
 * The whole org put on a homeserver that has never seen it (users, profiles, spaces, rooms, power levels,
 * memberships), then the same run again when nothing changed; then the same for a generated 10,000-person company.
 * Each on its own fresh Synapse (the fleet scenarios' homeserver already knows some of these users), on the database
 * `./fleet up` uses for a new instance (FLEET_BENCH_PROVISION_DATABASE=sqlite compares). The 10,000 run is skipped
 * for a small bench org (smoke tests) and with FLEET_BENCH_PROVISION_LARGE=0.
 */
export async function provisioningScenario(o: ProvisioningScenarioOptions): Promise<BenchResult[]> {
  const database = (process.env.FLEET_BENCH_PROVISION_DATABASE ?? o.config.homeserver.local.database ?? 'postgres') as SynapseDatabase;
  const results: BenchResult[] = [];
  const first = await measure(o, o.org, database, '');
  const made = Object.entries(first.fresh.created).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  results.push(
    { scenario: 'provisioning', metric: 'provision.org1001_s', value: first.fresh.durationMs / 1000, unit: 's',
      note: `${o.org.size} people from nothing on Synapse/${database}: ${made}${first.fresh.failed ? `; ${first.fresh.failed} failed` : ''}; target ≤ 60 s` },
    { scenario: 'provisioning', metric: 'provision.noop_s', value: first.again.durationMs / 1000, unit: 's',
      note: `re-run, ${first.again.unchanged} unchanged; target ≤ 5 s` },
  );
  if (o.org.size < 1001 || process.env.FLEET_BENCH_PROVISION_LARGE === '0') return results;
  const large = new OrgDirectory(generateOrg({ domain: o.org.domain, ceo: o.config.ceo, seed: o.config.org.seed, size: LARGE }), o.org.domain);
  const big = await measure(o, large, database, '-large');
  results.push(
    { scenario: 'provisioning', metric: 'provision.org10000_s', value: big.fresh.durationMs / 1000, unit: 's',
      note: `${large.size} people from nothing on Synapse/${database}: ${big.fresh.created.users} users, ${big.fresh.created.joins} joins, `
        + `${big.fresh.created.lazyMembers} lazy${big.fresh.failed ? `; ${big.fresh.failed} failed` : ''}; target ≤ 10 min` },
    { scenario: 'provisioning', metric: 'provision.noop10000_s', value: big.again.durationMs / 1000, unit: 's',
      note: `re-run at ${large.size}, ${big.again.unchanged} unchanged; target ≤ 5 s` },
  );
  return results;
}

async function measure(o: ProvisioningScenarioOptions, org: OrgDirectory, database: SynapseDatabase, suffix: string): Promise<{ fresh: ProvisionResult; again: ProvisionResult }> {
  const hs = await startBenchHomeserver({
    cacheDir: o.cacheDir, instance: `${o.instance}-provision${suffix}`, serverName: org.domain, database,
    appserviceId: o.config.appservice.id, senderLocalpart: o.config.appservice.senderLocalpart,
    agents: org.agents().map((p) => p.localpart),
    // Nothing listens there: provisioning talks to the homeserver only; its transactions wait in Synapse.
    routerUrl: `http://127.0.0.1:${await freePort()}`,
    workDir: o.workDir, progress: o.progress,
  });
  try {
    const dataDir = mkdtempSync(join(o.workDir, `provision${suffix}-`));
    const run = () => provisionOrg({
      org, registration: hs.registration, homeserverUrl: hs.url, dataDir, progress: 'log',
      eagerJoinMaxMembers: o.config.provisioning.eagerJoinMaxMembers, concurrency: o.config.provisioning.concurrency,
    });
    const fresh = await run();
    o.progress(`provisioned ${org.size} people in ${(fresh.durationMs / 1000).toFixed(1)} s`);
    return { fresh, again: await run() };
  } finally {
    await hs.close();
  }
}
