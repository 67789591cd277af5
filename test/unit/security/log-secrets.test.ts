import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setLogLevel } from '../../../src/log.ts';
import { captureLogLines, type LogCapture } from '../../helpers/log-capture.ts';
import { SECRETS, startInProcessFleet, until, type InProcessFleet } from '../metrics/in-process-fleet.ts';

// Before any module creates its child logger: children keep the level they were made with.
vi.hoisted(() => { process.env.FLEET_LOG_LEVEL = 'trace'; });

/**
 * Every line the process logger writes during a router + shard run, at trace level, through the unhappy paths that
 * tend to log requests: wrong tokens at every endpoint, a homeserver outage on the reply (the client library's
 * errors carry the request), a scrape with a wrong credential. None of the run's credentials may appear.
 */
describe('logs never carry the run\'s tokens or secret', () => {
  let log: LogCapture;
  let fleet: InProcessFleet;

  beforeAll(async () => {
    log = captureLogLines();
    fleet = await startInProcessFleet();
  }, 30_000);
  afterAll(async () => {
    await fleet?.close();
    log?.restore();
    delete process.env.FLEET_LOG_LEVEL;
    setLogLevel(undefined, {});
  });

  it('through a reply after a homeserver outage and refused callers', async () => {
    const shardToken = fleet.shardToken;
    const credentials = [SECRETS.asToken, SECRETS.hsToken, SECRETS.fleetSecret, shardToken];
    fleet.hs.failNextSends = 2;
    const post = (path: string, token: string, body: unknown) => fetch(`${fleet.routerUrl}${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    // Callers presenting someone else's credential: the refusal must not echo what they sent.
    expect((await fleet.transaction('t0', [fleet.dm(0)], SECRETS.asToken)).status).toBe(403);
    expect((await post('/_fleet/v1/shards/heartbeat', SECRETS.hsToken, { shardId: 'shard-9', url: 'http://127.0.0.1:1', startedAt: 1 })).status).toBe(403);
    expect((await fetch(`${fleet.shard.url}/metrics`, { headers: { authorization: `Bearer ${SECRETS.fleetSecret}` } })).status).toBe(403);
    expect((await fetch(`${fleet.shard.url}/v1/deliveries`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.asToken}` } })).status).toBe(403);
    // The real thing: a message answered through two failed sends.
    await until(() => fleet.router.registry.list().length === 1);
    expect((await fleet.transaction('t1', [...fleet.joins(), fleet.dm(1)])).status).toBe(200);
    await until(() => fleet.hs.sent.length === 1, 15_000);
    await fleet.shard.host.idle();

    const { lines } = log;
    expect(lines.length).toBeGreaterThan(5); // the run did log, at every level
    expect(lines.some((l) => l.includes('bad gateway'))).toBe(true); // the outage was logged, request and all
    const leaks = lines.filter((l) => credentials.some((c) => l.includes(c)));
    expect(leaks).toEqual([]);
  }, 30_000);
});
