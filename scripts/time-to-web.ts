/**
 * Measures what a person waits for: from starting `./fleet up` to the web chat's sign-in form in Chromium, then to
 * the banner (everything up and provisioned). Stops the fleet afterwards. Run from the project root:
 *
 *   node scripts/time-to-web.ts            # uses config/fleet.yaml and FLEET_* overrides, like ./fleet up
 *
 * Run it twice: the first run may build the homeserver and the web chat, the second shows the everyday wait.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { launchChromium } from '../src/web/chromium.ts';

const root = join(import.meta.dirname, '..');
const started = performance.now();
const since = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const fleet = spawn(join(root, 'fleet'), ['up'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let output = '';
fleet.stdout.on('data', (d: Buffer) => { output += d.toString(); });
fleet.stderr.on('data', (d: Buffer) => { output += d.toString(); });

const stop = () => {
  if (fleet.exitCode === null) process.kill(-fleet.pid!, 'SIGINT');
};
process.on('exit', stop);

const port = process.env.FLEET_WEB__PORT ?? '8080';
const url = `http://127.0.0.1:${port}/`;
const browser = await launchChromium();
try {
  const page = await browser.browser.newPage();
  // Poll until the server answers, then wait for Hydrogen to render its sign-in form.
  for (;;) {
    if (fleet.exitCode !== null) throw new Error(`./fleet up exited (${fleet.exitCode}):\n${output}`);
    try {
      await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 2000 });
      await page.waitForSelector('#username', { timeout: 10_000 });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  console.log(`web chat sign-in form rendered: ${since()}`);
  while (!output.includes('Ctrl-C stops everything')) {
    if (fleet.exitCode !== null) throw new Error(`./fleet up exited (${fleet.exitCode}):\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`banner printed (fleet up and provisioned): ${since()}`);
} finally {
  await browser.close();
  stop();
  await new Promise((r) => fleet.once('exit', r));
}
