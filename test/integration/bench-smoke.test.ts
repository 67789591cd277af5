import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/bench/run.ts';
import { SCENARIOS, type BenchSizes } from '../../src/bench/types.ts';
import { fleetContext, orgFor } from '../../src/cli/context.ts';
import { loadOrg } from '../../src/org/load.ts';

/** Just enough work for every code path to run: the figures themselves mean nothing at these sizes. */
const TINY: BenchSizes = {
  routing: { events: 2000 },
  latency: { messages: 4, messages3Shards: 4, agents: 2, baselineMessages: 4 },
  throughput: { agents: 3, messages: 6 },
  capacity: { turns: 32, activeRounds: 1 },
};

const EXPECTED: Record<string, string[]> = {
  routing: ['routing.events_per_s', 'routing.events_per_s_with_store'],
  latency: ['latency.fleet_p50_ms', 'latency.fleet_p95_ms', 'latency.fleet_p99_ms', 'latency.homeserver_p50_ms', 'latency.ratio_p50',
    'latency.fleet_p50_ms_3_shards', 'latency.first_contact_p50_ms'],
  throughput: ['throughput.fleet_msgs_per_s', 'throughput.fleet_msgs_per_s_3_shards', 'throughput.homeserver_msgs_per_s', 'throughput.ratio'],
  capacity: ['capacity.rss_mib_200_idle', 'capacity.rss_mib_1000_idle', 'capacity.rss_mib_32_active', 'capacity.idle_rss_mib_per_agent',
    'agent.overhead_p50_ms', 'agent.overhead_p99_ms', 'agent.hibernated_first_reply_ms'],
  provisioning: ['provision.org1001_s', 'provision.noop_s'],
  rescale: ['rescale.moved_pct_4_5', 'rescale.moved_pct_8_9'],
};

describe('./fleet bench, every scenario on tiny sizes', () => {
  it('reports every metric as a finite number and leaves no homeserver behind', async () => {
    const ctx = fleetContext();
    const instance = `${process.env.FLEET_TEST_INSTANCE ?? 'vitest'}-bench`;
    const { report, failed } = await runBench({
      scenarios: SCENARIOS, sizes: TINY, mode: 'custom', config: ctx.config, root: ctx.root, cacheDir: ctx.cacheDir,
      org: orgFor(ctx.config, ctx.root),
      // The 40-person fixture: provisioning the full org takes minutes (the bench measures that, not this test).
      provisioningOrg: loadOrg({ domain: ctx.config.domain, ceo: ctx.config.ceo, file: join(import.meta.dirname, '../fixtures/org-small.yaml') }),
      synapseInstance: instance, progress: () => {},
    });

    expect(failed, JSON.stringify(report.results.filter((r) => r.metric.endsWith('.failed')))).toEqual([]);
    for (const [scenario, metrics] of Object.entries(EXPECTED)) {
      for (const metric of metrics) {
        const row = report.results.find((r) => r.metric === metric);
        expect(row, metric).toBeDefined();
        expect(row!.scenario).toBe(scenario);
        expect(Number.isFinite(row!.value), `${metric} = ${row!.value}`).toBe(true);
      }
    }
    // Rendezvous placement moves a fraction of the agents on rescale, never all of them.
    expect(report.results.find((r) => r.metric === 'rescale.moved_pct_4_5')!.value).toBeLessThan(50);
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.versions.synapse).not.toBe('unknown');
    expect(existsSync(join(ctx.cacheDir, 'synapse-root', 'srv', instance))).toBe(false);
    expect(existsSync(join(ctx.cacheDir, 'synapse-root', 'srv', `${instance}-provision`))).toBe(false);
  }, 180_000);
});
