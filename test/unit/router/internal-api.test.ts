import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../../src/log.ts';
import { Claims } from '../../../src/router/claims.ts';
import { installInternalApi } from '../../../src/router/internal-api.ts';
import { Outbox } from '../../../src/router/outbox.ts';
import { ShardRegistry } from '../../../src/router/shard-registry.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { CLAIMS_PATH, COMPLETIONS_PATH, HEARTBEAT_PATH, shardToken, type Delivery } from '../../../src/protocol/wire.ts';

const SECRET = 'fleet-secret-for-tests';
const delivery: Delivery = {
  id: 'message:@a:x:$e1', kind: 'message', agentId: '@a:x', roomId: '!r:x', room: { isDirect: true },
  event: { event_id: '$e1', room_id: '!r:x', sender: '@h:x', type: 'm.room.message', content: { body: 'hi' } },
};

describe('router internal API: each shard speaks only for itself', () => {
  let server: Server;
  let base: string;
  const db = openRouterStore(':memory:');
  const registry = new ShardRegistry(8000);
  const outbox = new Outbox(db);
  const claims = new Claims(db, outbox, registry, 60_000);

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    installInternalApi(app as never, { registry, claims, outbox, fleetSecret: SECRET, log: logger, onChange: () => {} });
    server = await new Promise((r) => { const s = app.listen(0, '127.0.0.1', () => r(s)); });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => { registry.close(); server.close(); });

  const post = (path: string, token: string, body: unknown) => fetch(`${base}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body),
  });
  const beat = (shardId: string, token: string, url = 'http://127.0.0.1:9100') => post(HEARTBEAT_PATH, token, { shardId, url, startedAt: 1 });

  it('refuses a heartbeat for another shard id, and a url that is not the caller\'s own address', async () => {
    expect((await beat('shard-0', shardToken(SECRET, 'shard-0'))).status).toBe(200);
    expect((await beat('shard-1', shardToken(SECRET, 'shard-0'))).status).toBe(403);
    expect((await beat('shard-0', SECRET)).status).toBe(403); // the fleet secret is not a shard's token
    expect((await beat('shard-0', shardToken(SECRET, 'shard-0'), 'http://169.254.169.254')).status).toBe(403);
    expect(registry.urlOf('shard-0')).toBe('http://127.0.0.1:9100');
  });

  it('one shard cannot finish, claim or evict another shard\'s work', async () => {
    await beat('shard-1', shardToken(SECRET, 'shard-1'), 'http://127.0.0.1:9101');
    outbox.add(1, [delivery]);
    outbox.assign([delivery.id], 'shard-0');
    const asOne = shardToken(SECRET, 'shard-1');
    expect((await post(COMPLETIONS_PATH, asOne, { shardId: 'shard-0', startedAt: 1, ids: [delivery.id] })).status).toBe(403);
    await post(COMPLETIONS_PATH, asOne, { shardId: 'shard-1', startedAt: 1, ids: [delivery.id] });
    expect(outbox.get(delivery.id)?.holder).toBe('shard-0');
    expect(await (await post(CLAIMS_PATH, asOne, { shardId: 'shard-1', startedAt: 1, deliveryId: delivery.id })).json()).toEqual({ granted: false, reason: 'moved' });
    const evict = await fetch(`${base}${HEARTBEAT_PATH}/shard-0`, { method: 'DELETE', headers: { authorization: `Bearer ${asOne}` } });
    expect(evict.status).toBe(403);
    expect(registry.isLive('shard-0')).toBe(true);
  });

  it('tells anonymous callers only that it is alive', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
  });
});
