import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_COMMAND_PATH } from '../../../src/admin/commands.ts';
import { dashboardApp } from '../../../src/dashboard/app.ts';
import { CLAIMS_PATH, COMPLETIONS_PATH, DELIVERIES_PATH, HEARTBEAT_PATH, SCALE_PATH } from '../../../src/protocol/wire.ts';
import { StubFleetView } from '../dashboard/stub-view.ts';
import { startInProcessFleet, type InProcessFleet } from '../metrics/in-process-fleet.ts';
import { SECRETS } from '../metrics/in-process-fleet.ts';

/**
 * Every HTTP endpoint caps what it reads: a body over the cap is refused with 413, whoever sends it and whatever
 * its framing (Content-Length or chunked), so no caller can make a process buffer without bound.
 * Router: one JSON parser (10 MB) in front of the appservice API and the shards' and operators' API. Shard: 20 MB
 * for a batch of deliveries. Dashboard: 64 KiB, a login form is a few hundred bytes.
 */
const MiB = 1024 * 1024;
const padded = (bytes: number) => JSON.stringify({ shardId: 'shard-0', count: 2, command: 'status', events: [], pad: 'x'.repeat(bytes) });
/** The same body sent chunked: no Content-Length for a limit to trust. */
const chunked = (text: string) => new ReadableStream<Uint8Array>({
  start(controller) {
    const bytes = new TextEncoder().encode(text);
    for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
    controller.close();
  },
});

describe('request body limits', () => {
  let fleet: InProcessFleet;
  beforeAll(async () => { fleet = await startInProcessFleet(); }, 30_000);
  afterAll(async () => { await fleet?.close(); });

  const send = (url: string, method: string, body: string | ReadableStream<Uint8Array>, token?: string) => fetch(url, {
    method, body, ...(typeof body === 'string' ? {} : { duplex: 'half' }),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  } as RequestInit);

  it('the router refuses an 11 MB body on the appservice endpoint and on every route of its internal API', async () => {
    const routes: Array<[string, string, string]> = [
      ['PUT', '/_matrix/app/v1/transactions/big-1', SECRETS.hsToken],
      ['POST', HEARTBEAT_PATH, fleet.shardToken], ['POST', CLAIMS_PATH, fleet.shardToken], ['POST', COMPLETIONS_PATH, fleet.shardToken],
      ['POST', SCALE_PATH, SECRETS.fleetSecret], ['POST', ADMIN_COMMAND_PATH, SECRETS.fleetSecret],
    ];
    for (const [method, path, token] of routes) {
      expect((await send(`${fleet.routerUrl}${path}`, method, padded(11 * MiB), token)).status, path).toBe(413);
      expect((await send(`${fleet.routerUrl}${path}`, method, chunked(padded(11 * MiB)), token)).status, `${path} chunked`).toBe(413);
    }
    // A transaction under the cap is still taken.
    expect((await fleet.transaction('small-1', [])).status).toBe(200);
  });

  it('the shard refuses a 21 MB delivery batch, also chunked', async () => {
    const url = `${fleet.shard.url}${DELIVERIES_PATH}`;
    expect((await send(url, 'POST', chunked(padded(21 * MiB)), fleet.shardToken)).status).toBe(413);
  });

  it('the dashboard refuses a login body over 64 KiB before reading it, and still takes a normal one', async () => {
    const app = dashboardApp({ org: fleet.org, view: new StubFleetView(fleet.org), admins: [], homeserverUrl: 'http://hs.test', sessionTtlMs: 60_000,
      fetch: (async () => Response.json({ errcode: 'M_FORBIDDEN' }, { status: 403 })) as typeof fetch });
    const big = `user=x&password=${'y'.repeat(MiB)}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await app.request('/dashboard/login', { method: 'POST', headers: form, body: big })).status).toBe(413);
    expect((await app.request('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: padded(MiB) })).status).toBe(413);
    const stream = new Request('http://x/dashboard/login', { method: 'POST', headers: form, body: chunked(big), duplex: 'half' } as RequestInit);
    expect((await app.request(stream)).status).toBe(413);
    // A real login attempt gets its answer (wrong password), not a 413.
    expect((await app.request('/dashboard/login', { method: 'POST', headers: form, body: 'user=morgan.blake&password=wrong' })).status).toBe(401);
  });
});
