import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetConfig } from '../config/schema.ts';
import { componentLogger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { BenchFleet } from './fleet.ts';
import { machineInfo, packageVersions, synapsePackageVersion } from './report.ts';
import { capacityScenario } from './scenarios/capacity.ts';
import { idleScenario } from './scenarios/idle.ts';
import { latencyScenario } from './scenarios/latency.ts';
import { provisioningScenario } from './scenarios/provisioning.ts';
import { rescaleScenario } from './scenarios/rescale.ts';
import { scaleScenario } from './scenarios/scale.ts';
import { routingScenario } from './scenarios/routing.ts';
import { throughputScenario } from './scenarios/throughput.ts';
import { NEEDS_FLEET, SCENARIOS, type BenchReport, type BenchResult, type BenchSizes, type ScenarioName } from './types.ts';

const log = componentLogger('bench');

export interface RunBenchOptions {
  /** The org the provisioning scenario puts on its homeserver; default `org` (smoke tests use a small one). */
  provisioningOrg?: OrgDirectory;
  /** Run in the canonical order whatever order they are given in. */
  scenarios: readonly ScenarioName[];
  sizes: BenchSizes;
  mode: string;
  config: FleetConfig;
  root: string;
  cacheDir: string;
  org: OrgDirectory;
  /** The bench's own Synapse instance; wiped at start and end. */
  synapseInstance: string;
  progress?: (line: string) => void;
}

export interface RunBenchOutcome {
  report: BenchReport;
  /** Scenarios that threw; their rows say why. */
  failed: ScenarioName[];
}

/**
 * Runs the chosen scenarios. The homeserver scenarios share one fleet (own Synapse, router, shards), started before
 * the first and stopped after the last of them, so the capacity figures are taken on a quiet machine. Everything
 * started is stopped again on failure and on SIGINT/SIGTERM.
 */
export async function runBench(opts: RunBenchOptions): Promise<RunBenchOutcome> {
  const progress = opts.progress ?? ((line: string) => log.info(line));
  const chosen = SCENARIOS.filter((s) => opts.scenarios.includes(s));
  const lastFleetScenario = chosen.filter((s) => NEEDS_FLEET.has(s)).at(-1);
  const workDir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  const results: BenchResult[] = [];
  const failed: ScenarioName[] = [];
  let fleet: BenchFleet | undefined;
  let fleetFailure: Error | undefined;
  let synapseVersion: string | undefined;

  const stopFleet = async () => {
    const f = fleet;
    fleet = undefined;
    if (f) await f.close().catch((err: unknown) => log.error({ err: (err as Error).message }, 'could not stop the bench fleet cleanly'));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping the bench homeserver and fleet`);
    void stopFleet().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const startFleet = async (): Promise<BenchFleet> => {
    if (fleet) return fleet;
    if (fleetFailure) throw fleetFailure;
    progress(`starting the bench fleet (Synapse instance ${opts.synapseInstance}, router and shards)`);
    try {
      fleet = await BenchFleet.start({
        config: opts.config, root: opts.root, cacheDir: opts.cacheDir, org: opts.org,
        synapseInstance: opts.synapseInstance, workDir, progress,
      });
    } catch (err) {
      fleetFailure = err as Error;
      throw err;
    }
    synapseVersion = fleet.hs.version;
    await fleet.useShards(1);
    return fleet;
  };

  const runOne = async (scenario: ScenarioName): Promise<BenchResult[]> => {
    switch (scenario) {
      case 'routing': return routingScenario(opts.org, opts.sizes.routing);
      case 'latency': return latencyScenario(await startFleet(), opts.sizes.latency, progress);
      case 'throughput': return throughputScenario(await startFleet(), opts.sizes.throughput, progress);
      case 'capacity': return capacityScenario(opts.sizes.capacity, progress);
      case 'provisioning': return provisioningScenario({ org: opts.provisioningOrg ?? opts.org, config: opts.config, cacheDir: opts.cacheDir,
        instance: opts.synapseInstance, workDir, progress });
      case 'rescale': return rescaleScenario(opts.org);
      case 'scale': return opts.sizes.scale
        ? scaleScenario({ config: opts.config, root: opts.root, cacheDir: opts.cacheDir, instance: opts.synapseInstance, workDir, sizes: opts.sizes.scale, progress,
          // Tracked like the shared fleet, so SIGINT stops it too.
          track: (f) => { fleet = f; } })
        : [{ scenario, metric: 'scale.skipped', value: null, unit: '', note: 'no scale sizes given' }];
      case 'idle': return opts.sizes.idle
        ? idleScenario({ config: opts.config, cacheDir: opts.cacheDir, instance: opts.synapseInstance, workDir, org: opts.org, sizes: opts.sizes.idle, progress })
        : [{ scenario, metric: 'idle.skipped', value: null, unit: '', note: 'no idle sizes given' }];
    }
  };

  try {
    for (const scenario of chosen) {
      progress(`${scenario}…`);
      const started = performance.now();
      try {
        const rows = await runOne(scenario);
        results.push(...rows);
        progress(`${scenario} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } catch (err) {
        failed.push(scenario);
        const message = (err as Error).message.split('\n')[0] ?? 'unknown error';
        results.push({ scenario, metric: `${scenario}.failed`, value: null, unit: '', note: message });
        log.error({ scenario, err: (err as Error).message, logs: join(workDir, 'logs') }, 'scenario failed');
      }
      if (scenario === lastFleetScenario) await stopFleet();
    }
  } finally {
    await stopFleet();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Logs of a failed run are kept for a look; a good run leaves nothing behind.
    if (failed.length === 0) rmSync(workDir, { recursive: true, force: true });
    else progress(`logs of the bench's router and shards: ${join(workDir, 'logs')}`);
  }

  return {
    failed,
    report: {
      date: new Date().toISOString(),
      machine: machineInfo(),
      versions: { ...packageVersions(opts.root), synapse: synapseVersion ?? synapsePackageVersion(join(opts.cacheDir, 'synapse-root')) },
      mode: opts.mode,
      results,
    },
  };
}
