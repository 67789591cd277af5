import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_COMMAND_PATH, runAdminCommand } from '../../../src/admin/commands.ts';
import { logger } from '../../../src/log.ts';
import { Claims } from '../../../src/router/claims.ts';
import { installInternalApi } from '../../../src/router/internal-api.ts';
import { Outbox } from '../../../src/router/outbox.ts';
import { ShardRegistry } from '../../../src/router/shard-registry.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { shardToken } from '../../../src/protocol/wire.ts';
import { adminContext, busyAgent } from './fixture.ts';

const SECRET = 'fleet-secret-for-tests';

describe('./fleet admin: the router endpoint', () => {
  let server: Server;
  let base: string;
  const ctx = adminContext();
  const registry = new ShardRegistry(8000);

  beforeAll(async () => {
    const db = openRouterStore(':memory:');
    const outbox = new Outbox(db);
    const app = express();
    app.use(express.json());
    installInternalApi(app as never, {
      registry, claims: new Claims(db, outbox, registry, 60_000), outbox, fleetSecret: SECRET, log: logger, onChange: () => {},
      runAdminCommand: (command) => runAdminCommand(command, ctx, { id: 'cli', role: 'admin' }),
    });
    server = await new Promise((r) => { const s = app.listen(0, '127.0.0.1', () => r(s)); });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => { registry.close(); server.close(); });

  const post = (token: string, body: unknown) => fetch(`${base}${ADMIN_COMMAND_PATH}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body),
  });

  it('runs a command as an admin for the holder of the fleet secret, and audits it as cli', async () => {
    const res = await post(SECRET, { command: `pause ${busyAgent.localpart}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, text: expect.stringContaining('1 agent(s) newly paused') });
    expect(ctx.controls.isPaused(busyAgent.matrixId)).toBe(true);
    expect(ctx.audit.recent(1)[0]).toMatchObject({ sender: 'cli', command: `pause ${busyAgent.localpart}`, outcome: 'ok' });
    expect(await (await post(SECRET, { command: 'stauts' })).json()).toMatchObject({ ok: false });
  });

  it('refuses anyone without the fleet secret (a shard token is not enough) and a body without a command', async () => {
    expect((await post('wrong', { command: 'status' })).status).toBe(403);
    expect((await post(shardToken(SECRET, 'shard-0'), { command: 'resume all' })).status).toBe(403);
    expect(ctx.controls.isPaused(busyAgent.matrixId)).toBe(true);
    expect((await post(SECRET, { cmd: 'status' })).status).toBe(400);
  });
});
