import express from 'express';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOrg } from '../../../src/org/generator.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import type { Person } from '../../../src/org/types.ts';
import { shardToken } from '../../../src/protocol/wire.ts';
import { installTasksApi } from '../../../src/router/tasks-api.ts';
import { TasksClient } from '../../../src/shard/tasks-client.ts';
import { openDatabase } from '../../../src/store/sqlite.ts';
import { TaskService } from '../../../src/tasks/service.ts';
import { TaskStore } from '../../../src/tasks/store.ts';

const domain = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } }), domain);
const [a, b] = org.agents().filter((p) => p.level === 'IC') as [Person, Person];
const secret = 'test-secret';

describe('tasks API between shards and the router', () => {
  let url = '';
  let close = () => {};
  beforeAll(async () => {
    const app = express();
    app.use(express.json({ limit: '1mb' }));
    const service = new TaskService({ store: new TaskStore(openDatabase(':memory:', [])), org, botId: `@fleet-bot:${domain}` });
    // shard-0 runs a turn of agent a; shard-1 one of b.
    installTasksApi(app as never, { service, org, fleetSecret: secret, log: pino({ level: 'silent' }),
      actsFor: (shardId, agentId) => (shardId === 'shard-0' && agentId === a.matrixId) || (shardId === 'shard-1' && agentId === b.matrixId) });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  const client = (shardId: string, token = shardToken(secret, shardId)) => new TasksClient({ routerUrl: url, shardId, token });

  it('acts for the agent whose turn the shard runs; two racing takes give one winner', async () => {
    const created = await client('shard-0').request(a.matrixId, { op: 'create', title: 'Open for anyone' });
    expect(created.ok).toBe(true);
    const id = created.ok ? created.task!.id : 0;
    const [x, y] = await Promise.all([client('shard-0').request(a.matrixId, { op: 'take', id }), client('shard-1').request(b.matrixId, { op: 'take', id })]);
    expect([x.ok, y.ok].filter(Boolean)).toHaveLength(1);
    expect([x, y].find((r) => !r.ok)).toMatchObject({ ok: false, error: expect.stringMatching(/already taken by/) });
  });

  it('refuses a wrong token, an agent the shard runs no turn of, and a malformed request', async () => {
    await expect(client('shard-0', 'forged').request(a.matrixId, { op: 'get', id: 1 })).rejects.toThrow(/403/);
    await expect(client('shard-0').request(b.matrixId, { op: 'get', id: 1 })).rejects.toThrow(/403.*no turn/);
    await expect(client('shard-0').request(a.matrixId, { op: 'nope' } as never)).rejects.toThrow(/400/);
    await expect(client('shard-0').request(a.matrixId, { op: 'create', title: 'x'.repeat(20_000) })).rejects.toThrow(/413/);
  });
});
