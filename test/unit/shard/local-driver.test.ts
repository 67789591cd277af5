import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalShardDriver } from '../../../src/shard/drivers/local.ts';

/** Stands in for `main.ts shard --id <id>`: lives until SIGTERM, like a shard that drains at once. */
const FAKE_SHARD = `process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);`;

let dir: string;
let driver: LocalShardDriver;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-driver-'));
  writeFileSync(join(dir, 'shard.mjs'), FAKE_SHARD);
  driver = new LocalShardDriver({ cliPath: join(dir, 'shard.mjs'), basePort: 0, env: {}, restart: true, stopTimeoutMs: 2000 });
});

afterEach(async () => {
  await driver.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const pid = (id: string) => driver.child(id)?.pid;

describe('LocalShardDriver', () => {
  it('stop(shard) stops any shard, not only the highest, and it stays stopped while the count stays', async () => {
    await driver.scale(3);
    await driver.stop('shard-1');
    expect(await driver.running()).toEqual(['shard-0', 'shard-2']);
    await driver.scale(3);
    await new Promise((r) => setTimeout(r, 1200)); // longer than the crash-restart delay
    expect(await driver.running()).toEqual(['shard-0', 'shard-2']);
    await driver.scale(4);
    expect(await driver.running()).toEqual(['shard-0', 'shard-1', 'shard-2', 'shard-3']);
  });

  it('restart(shard) replaces the process under the same shard id once the old one has exited', async () => {
    await driver.scale(2);
    const before = driver.child('shard-0')!;
    await driver.restart('shard-0');
    expect(before.exitCode ?? before.signalCode).not.toBeNull();
    expect(pid('shard-0')).toBeDefined();
    expect(pid('shard-0')).not.toBe(before.pid);
    expect(driver.child('shard-0')!.spawnargs).toContain('shard-0');
    expect(await driver.running()).toEqual(['shard-0', 'shard-1']);
  });

  it('restart(shard) starts a shard that stop() had taken out', async () => {
    await driver.scale(2);
    await driver.stop('shard-1');
    await driver.restart('shard-1');
    expect(await driver.running()).toEqual(['shard-0', 'shard-1']);
  });

  it('refuses what is not a shard id', async () => {
    await expect(driver.stop('router')).rejects.toThrow('not a shard id');
  });
});
