import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessFleet, type InProcessFleet } from '../metrics/in-process-fleet.ts';

describe('anonymous callers', () => {
  let fleet: InProcessFleet;
  beforeAll(async () => { fleet = await startInProcessFleet(); }, 30_000);
  afterAll(async () => { await fleet?.close(); });

  it('learn from /healthz only that the process is alive: no shard urls, ids or counts', async () => {
    for (const base of [fleet.routerUrl, fleet.shard.url]) {
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    }
  });

  it('are refused by every other read endpoint of the router and the shard', async () => {
    const paths = [
      `${fleet.routerUrl}/_fleet/v1/status`, `${fleet.routerUrl}/metrics`,
      `${fleet.shard.url}/v1/status`, `${fleet.shard.url}/v1/activity`, `${fleet.shard.url}/metrics`,
    ];
    for (const url of paths) {
      const res = await fetch(url);
      expect([401, 403], url).toContain(res.status);
      const text = await res.text();
      expect(text, url).not.toContain(fleet.shard.url.replace('http://', ''));
      expect(text, url).not.toContain('shard-0');
    }
  });

  it('cannot post deliveries, heartbeats, claims, completions or a scale', async () => {
    const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(`${fleet.shard.url}/v1/deliveries`, { deliveries: [] })).status).toBe(403);
    for (const path of ['/_fleet/v1/shards/heartbeat', '/_fleet/v1/shards/claims', '/_fleet/v1/shards/completions', '/_fleet/v1/scale']) {
      expect((await post(`${fleet.routerUrl}${path}`, { shardId: 'shard-0', startedAt: 1, url: 'http://127.0.0.1:1', ids: [], deliveryId: 'x', count: 2 })).status, path).toBe(403);
    }
  });

  it('oversized bodies are refused with 413 before anything reads them', async () => {
    const big = (mb: number) => JSON.stringify({ shardId: 'shard-0', pad: 'x'.repeat(mb * 1024 * 1024) });
    const toRouter = await fetch(`${fleet.routerUrl}/_fleet/v1/shards/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big(11) });
    expect(toRouter.status).toBe(413);
    const toShard = await fetch(`${fleet.shard.url}/v1/deliveries`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${fleet.shardToken}` }, body: big(21),
    });
    expect(toShard.status).toBe(413);
  });
});
