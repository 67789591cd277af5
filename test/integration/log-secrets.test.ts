import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { shardToken } from '../../src/protocol/wire.ts';
import type { LocalShardDriver } from '../../src/shard/drivers/local.ts';
import { CEO, spawnShardProcesses, startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { Human } from '../helpers/human.ts';
import { captureLogLines, type LogCapture } from '../helpers/log-capture.ts';
import { sleep, until } from '../helpers/wait.ts';

// Before any module makes its child logger (children keep the level they were made with).
vi.hoisted(() => { process.env.FLEET_LOG_LEVEL = 'debug'; });

/**
 * Every log line of a real run at debug level — the in-process router's, and two shard processes' stderr — through
 * a DM and a group mention on Synapse: none may carry the as_token, hs_token, fleet secret, a shard token or the
 * CEO's password.
 */
describe('a real run logs no credential', () => {
  let routerLog: LogCapture;
  const shardLogFile = join(tmpdir(), `fleet-shard-logs-${process.pid}.jsonl`);
  let fleet: TestFleet;
  let ceo: Human;
  let driver: LocalShardDriver;

  beforeAll(async () => {
    routerLog = captureLogLines();
    fleet = await startTestFleet({ shards: 0 });
    // The real CLI behind a tee of its stderr into shardLogFile.
    driver = await spawnShardProcesses(fleet, 2, { cliPath: join(import.meta.dirname, '../helpers/stderr-tee.ts'),
      env: { FLEET_LOG_LEVEL: 'debug', FLEET_LOG_FORMAT: 'json', FLEET_TEST_STDERR_FILE: shardLogFile } });
    await fleet.hs.registerUser(CEO.localpart, CEO.password);
    ceo = await Human.login(fleet.hs.url, CEO.localpart, CEO.password);
  });
  afterAll(async () => {
    ceo?.stop();
    await driver?.stopAll();
    await fleet?.close();
    routerLog?.restore();
    if (!process.env.FLEET_TEST_KEEP_LOGS) rmSync(shardLogFile, { force: true });
  });

  it('through a DM and a group mention answered by shard processes', async () => {
    const shardOf = (id: string) => fleet.router.registry.current().shardFor(id);
    const agents = fleet.org.agents();
    const a = agents.find((p) => shardOf(p.matrixId) === 'shard-0')!;
    const b = agents.find((p) => shardOf(p.matrixId) === 'shard-1')!;

    const dm = await ceo.openDm(a.matrixId);
    await until('the agent joined the DM', async () => (await ceo.joinedMembers(dm)).includes(a.matrixId));
    await ceo.say(dm, 'Who do you report to?');
    await ceo.waitFor((m) => m.roomId === dm && m.sender === a.matrixId, 30_000);

    const group = await ceo.createGroup('secrets-check', [a.matrixId, b.matrixId]);
    await until('both agents joined the group', async () => (await ceo.joinedMembers(group)).length === 3);
    await ceo.say(group, `${b.name}, who do you report to?`, { 'm.mentions': { user_ids: [b.matrixId] } });
    await ceo.waitFor((m) => m.roomId === group && m.sender === b.matrixId, 30_000);
    await sleep(1000);
    await driver.stopAll(); // the shards' shutdown lines are part of the run

    const shardLines = readFileSync(shardLogFile, 'utf8').split('\n').filter(Boolean);
    const credentials = {
      asToken: fleet.hs.registration.asToken, hsToken: fleet.hs.registration.hsToken, fleetSecret: fleet.shardSecret,
      shard0Token: shardToken(fleet.shardSecret, 'shard-0'), shard1Token: shardToken(fleet.shardSecret, 'shard-1'), ceoPassword: CEO.password,
    };
    const leaks = [...routerLog.lines, ...shardLines].flatMap((line) =>
      Object.entries(credentials).filter(([, c]) => line.includes(c)).map(([name]) => `${name}: ${line.slice(0, 300)}`));
    console.log(`log secrets: ${routerLog.lines.length} router lines, ${shardLines.length} shard lines at debug level, ${leaks.length} with a credential`);
    // The capture really saw debug lines of both processes.
    expect(routerLog.lines.some((l) => l.includes('"level":20'))).toBe(true);
    const debugPids = new Set(shardLines.filter((l) => l.includes('"level":20')).map((l) => l.match(/"pid":(\d+)/)?.[1]));
    expect(debugPids.size).toBe(2);
    expect(shardLines.filter((l) => l.includes('"msg":"shard ready"'))).toHaveLength(2);
    expect(leaks).toEqual([]);
  });
});
