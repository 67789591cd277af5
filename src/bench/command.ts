import { Argument, type Command } from 'commander';
import { FULL_SIZES, QUICK_SIZES, SCENARIOS, type ScenarioName } from './types.ts';

/** Synapse instance of the bench: its own database, apart from `up`'s ("fleet") and the tests' ("vitest"). */
const DEFAULT_INSTANCE = 'fleet-bench';

/**
 * `./fleet bench [scenario...] [--quick] [--json PATH]`. The bench's modules are loaded only when it runs, so the
 * other commands (and the production image) never load them.
 */
export function registerBenchCommand(program: Command): void {
  program.command('bench')
    .description('measure the fleet against its targets and against the homeserver itself (own Synapse, wiped per run)')
    .addArgument(new Argument('[scenario...]', 'scenarios to run, all by default').choices(SCENARIOS))
    .option('--quick', 'fewer messages and turns: under 5 minutes instead of under 20')
    .option('--json <path>', 'also write the report as JSON to this file')
    .action(async (names: ScenarioName[], opts: { quick?: boolean; json?: string }) => {
      const [{ runBench }, { fleetContext, orgFor }, { formatTable, writeReport }] = await Promise.all([
        import('./run.ts'), import('../cli/context.ts'), import('./report.ts'),
      ]);
      const ctx = fleetContext();
      const started = performance.now();
      const { report, failed } = await runBench({
        scenarios: names.length ? names : SCENARIOS,
        sizes: opts.quick ? QUICK_SIZES : FULL_SIZES,
        mode: opts.quick ? 'quick' : 'full',
        config: ctx.config,
        root: ctx.root,
        cacheDir: ctx.cacheDir,
        org: orgFor(ctx.config, ctx.root),
        synapseInstance: process.env.FLEET_BENCH_INSTANCE ?? DEFAULT_INSTANCE,
        progress: (line) => process.stderr.write(`bench: ${line}\n`),
      });
      const m = report.machine;
      console.log(`\nOpen Claw Fleet bench (${report.mode}), ${report.date}`);
      console.log(`machine: ${m.cores} cores, ${m.memoryGiB} GiB, ${m.cpuModel}, Node ${m.node}`);
      console.log(`versions: fleet ${report.versions.fleet}, Synapse ${report.versions.synapse}, OpenClaw ${report.versions.openclaw}`);
      console.log(`took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
      console.log(formatTable(report.results));
      if (opts.json) {
        writeReport(opts.json, report);
        console.log(`\nwrote ${opts.json}`);
      }
      if (failed.length) {
        console.error(`\nfailed: ${failed.join(', ')}`);
        process.exitCode = 1;
      }
    });
}
