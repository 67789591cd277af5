import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { installCrashHandlers } from '../../../src/cli/crash.ts';

describe('crash handlers', () => {
  it('log an unhandled rejection and exit non-zero', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write(c: Buffer, _e, done) { lines.push(c.toString()); done(); } }));
    const exited = new Promise<number>((resolve) => {
      const uninstall = installCrashHandlers(log, (code) => { uninstall(); resolve(code); });
    });
    // Emitted directly: vitest has its own handler for real unhandled rejections and would fail the run.
    process.emit('unhandledRejection', new Error('nobody awaited me'), Promise.resolve());
    expect(await exited).toBe(1);
    const line = JSON.parse(lines.join('')) as { level: number; msg: string; err: { message: string; stack: string } };
    expect(line.level).toBe(60);
    expect(line.msg).toContain('unhandled promise rejection');
    expect(line.err.message).toBe('nobody awaited me');
    expect(line.err.stack).toContain('crash.test.ts');
  });

  it('do the same for an uncaught exception', async () => {
    const log = pino({ level: 'silent' });
    const exited = new Promise<number>((resolve) => {
      const uninstall = installCrashHandlers(log, (code) => { uninstall(); resolve(code); });
    });
    process.emit('uncaughtException', new Error('boom'), 'uncaughtException');
    expect(await exited).toBe(1);
  });
});
