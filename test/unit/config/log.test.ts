import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fleetContext } from '../../../src/cli/context.ts';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { componentLogger, logger, loggerOptions, redactSecrets, setLogLevel } from '../../../src/log.ts';

const root = join(import.meta.dirname, '../../..');
const saved = { ...process.env };

afterEach(() => {
  process.env = { ...saved };
  setLogLevel('error', {});
});

describe('logging', () => {
  it('reads log.level from the config (here via its FLEET_LOG__LEVEL override), and existing child loggers follow', () => {
    const child = componentLogger('test');
    process.env.FLEET_HOME = root;
    delete process.env.FLEET_LOG_LEVEL;
    process.env.FLEET_LOG__LEVEL = 'debug';
    fleetContext();
    expect(logger.level).toBe('debug');
    expect(child.isLevelEnabled('debug')).toBe(true);
  });

  it('lets FLEET_LOG_LEVEL override the configured level', () => {
    setLogLevel('debug', { FLEET_LOG_LEVEL: 'warn' });
    expect(logger.level).toBe('warn');
    setLogLevel('trace', {});
    expect(logger.level).toBe('trace');
  });

  it('redacts secrets at any depth, whatever the key\'s spelling, and leaves other values alone', () => {
    const input = {
      roomId: '!r:x',
      registration: { id: 'fleet', hs_token: 'HS', nested: { deeper: { asToken: 'AS', list: [{ access_token: 'AT' }] } } },
      headers: { Authorization: 'Bearer X' },
      password: 'P',
      inputTokens: 12,
    };
    const out = redactSecrets(input);
    const text = JSON.stringify(out);
    for (const secret of ['"HS"', '"AS"', '"AT"', 'Bearer X', '"P"']) expect(text).not.toContain(secret);
    expect(out.registration.id).toBe('fleet');
    expect(out.inputTokens).toBe(12);
    expect(input.registration.hs_token).toBe('HS'); // the caller's object is not changed
    const plain = { a: { b: 1 } };
    expect(redactSecrets(plain)).toBe(plain);
    const loop: Record<string, unknown> = { secret: 's' };
    loop.self = loop;
    expect((redactSecrets(loop) as { secret: string }).secret).toBe('[redacted]');
  });

  it('writes log lines with nested secrets redacted, and component bindings too', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, done) { lines.push(chunk.toString()); done(); } });
    const log = pino({ ...loggerOptions(), level: 'info' }, sink);
    log.info({ registration: { hs_token: 'HS1', nested: { password: 'PW1' } } }, 'hello');
    expect(lines).toHaveLength(1);
    for (const secret of ['HS1', 'PW1']) expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain('[redacted]');
    expect(JSON.stringify(componentLogger('x', { creds: { shard_secret: 'S1' } }).bindings())).not.toContain('S1');
  });
});
