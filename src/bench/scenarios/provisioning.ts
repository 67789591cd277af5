import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetConfig } from '../../config/schema.ts';
import type { OrgDirectory } from '../../org/directory.ts';
import { provisionOrg } from '../../provision/index.ts';
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

/**
 * The whole org put on a homeserver that has never seen it (users, profiles, spaces, rooms, power levels,
 * memberships), then the same run again when nothing changed. Its own fresh Synapse: the fleet scenarios' homeserver
 * already knows some of these users.
 */
export async function provisioningScenario(o: ProvisioningScenarioOptions): Promise<BenchResult[]> {
  const hs = await startBenchHomeserver({
    cacheDir: o.cacheDir, instance: `${o.instance}-provision`, serverName: o.org.domain,
    appserviceId: o.config.appservice.id, senderLocalpart: o.config.appservice.senderLocalpart,
    agents: o.org.agents().map((p) => p.localpart),
    // Nothing listens there: provisioning talks to the homeserver only; its transactions wait in Synapse.
    routerUrl: `http://127.0.0.1:${await freePort()}`,
    workDir: o.workDir, progress: o.progress,
  });
  try {
    const dataDir = mkdtempSync(join(o.workDir, 'provision-'));
    const run = () => provisionOrg({ org: o.org, registration: hs.registration, homeserverUrl: hs.url, dataDir, progress: 'log' });
    const first = await run();
    const again = await run();
    const made = Object.entries(first.created).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
    return [
      { scenario: 'provisioning', metric: 'provision.org1001_s', value: first.durationMs / 1000, unit: 's',
        note: `${o.org.size} people from nothing: ${made}${first.failed ? `; ${first.failed} failed` : ''}; target ≤ 60 s` },
      { scenario: 'provisioning', metric: 'provision.noop_s', value: again.durationMs / 1000, unit: 's',
        note: `re-run, ${again.unchanged} unchanged; target ≤ 5 s` },
    ];
  } finally {
    await hs.close();
  }
}
