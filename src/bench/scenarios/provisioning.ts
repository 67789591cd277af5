import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../types.ts';

const CANDIDATES = ['../../provision/index.ts', '../../provision/provision.ts'];

/** The provisioning module (issue 5) when this build has it; looked up at run time so the bench works without it. */
async function provisioningModule(): Promise<{ provisionOrg: (...args: unknown[]) => Promise<unknown> } | undefined> {
  for (const rel of CANDIDATES) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(fileURLToPath(url))) continue;
    const mod = (await import(url.href)) as { provisionOrg?: unknown };
    if (typeof mod.provisionOrg === 'function') return mod as { provisionOrg: (...args: unknown[]) => Promise<unknown> };
  }
  return undefined;
}

/**
 * Time to provision the 1001-person org on a fresh homeserver, and to re-run provisioning when nothing changed.
 * Reported as unavailable until src/provision exports provisionOrg.
 */
export async function provisioningScenario(): Promise<BenchResult[]> {
  const mod = await provisioningModule();
  const note = mod
    ? 'provisionOrg exists but the bench does not drive it yet'
    : 'unavailable: this build has no src/provision (provisionOrg)';
  return [
    { scenario: 'provisioning', metric: 'provision.org1001_s', value: null, unit: 's', note },
    { scenario: 'provisioning', metric: 'provision.noop_s', value: null, unit: 's', note },
  ];
}
