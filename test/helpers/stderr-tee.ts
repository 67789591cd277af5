/**
 * `node stderr-tee.ts args…`: runs the fleet CLI (src/cli/main.ts args…) as a child and copies its stderr (the log) into the file named by
 * FLEET_TEST_STDERR_FILE (not to the test's own output: at debug level it is long). A shard process's pino writes to fd 2 directly, so only a
 * process boundary can capture it; LocalShardDriver takes this file as its cliPath in tests that read the logs.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

const cli = join(import.meta.dirname, '../../src/cli/main.ts');
const args = process.argv.slice(2);
const file = process.env.FLEET_TEST_STDERR_FILE;
if (!file) throw new Error('usage: FLEET_TEST_STDERR_FILE=<file> node stderr-tee.ts args…');
const out = createWriteStream(file, { flags: 'a' });
const child = spawn(process.execPath, [...process.execArgv, cli, ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
child.stderr.pipe(out, { end: false });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => out.end(() => process.exit(code ?? (signal ? 1 : 0))));
