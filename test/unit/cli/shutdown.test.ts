import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('stopOnSignal', () => {
  it('a second Ctrl-C does not cut the shutdown short: every step still runs', async () => {
    const script = `
      const { stopOnSignal } = await import(${JSON.stringify(new URL('../../../src/cli/shutdown.ts', import.meta.url).href)});
      setInterval(() => {}, 1000); // a server keeps the real CLI alive
      process.stdout.write('ready\\n');
      await stopOnSignal(async () => {
        process.stdout.write('closing\\n');
        await new Promise((r) => setTimeout(r, 600));
        process.stdout.write('homeserver stopped\\n');
      });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out === 'ready\n') setTimeout(() => child.kill('SIGINT'), 100);
      if (out.endsWith('closing\n')) setTimeout(() => child.kill('SIGINT'), 100);
    });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(err).not.toMatch(/Error/);
    expect(out).toBe('ready\nclosing\nhomeserver stopped\n');
    expect(code).toBe(0);
  });
});
