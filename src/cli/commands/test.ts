import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectRoot } from '../context.ts';
import { FIGURES_DIR_ENV, formatFigures, readFigures } from './long-figures.ts';

export function registerTestCommand(program: Command): void {
  program.command('test')
    .description('typecheck, then run the whole test suite (unit + integration against a local Synapse); --long: the long suite')
    .argument('[vitest-args...]', 'passed to vitest (e.g. a file filter or --project unit)')
    .option('--long', 'instead: the long suite (test/long: fuzzing, chaos in network namespaces, the soak); prints its figures at the end')
    .allowUnknownOption()
    .action((args: string[], opts: { long?: boolean }) => {
      const root = projectRoot();
      const require = createRequire(`${root}/package.json`);
      const runDir = mkdtempSync(join(tmpdir(), 'fleet-test-'));
      const figuresDir = join(runDir, 'figures');
      // The long project exists only when FLEET_TEST_LONG is set (vitest.config.ts): `./fleet test` never runs it.
      // Its tests write what they measured to figuresDir (test/helpers/figures.ts), printed once vitest is done.
      const env = opts.long ? { ...process.env, FLEET_TEST_LONG: '1', [FIGURES_DIR_ENV]: figuresDir } : process.env;
      if (opts.long) args = ['--project', 'long', ...args];
      const run = (script: string, argv: string[]): number =>
        spawnSync(process.execPath, [script, ...argv], { cwd: root, stdio: 'inherit', env }).status ?? 1;
      const tsc = require.resolve('typescript/bin/tsc');
      if (run(tsc, ['-p', 'tsconfig.json']) !== 0) {
        console.error('typecheck failed');
        process.exit(1);
      }
      const summaryFile = join(runDir, 'results.json');
      const status = run(join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs'),
        ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${summaryFile}`, ...args]);
      if (opts.long) console.log(`\n${formatFigures(readFigures(figuresDir))}`);
      // One plain closing line that any CI can read, whatever the runner prints before it.
      try {
        const r = JSON.parse(readFileSync(summaryFile, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
        console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
      } catch {
        console.log('\ntests: no results were written (vitest did not run to the end)');
      }
      process.exit(status);
    });
}
