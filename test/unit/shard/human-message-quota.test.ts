import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUMAN_QUOTA_PATH } from '../../../src/human-quota/protocol.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { shardToken } from '../../../src/protocol/wire.ts';
import { installHumanQuotaApi } from '../../../src/router/human-quota-api.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { HumanMessageQuota } from '../../../src/shard/human-message-quota.ts';
import { HumanQuotaClient } from '../../../src/shard/human-quota-client.ts';
import { ShardStore } from '../../../src/shard/store.ts';
import { testOrg } from '../agents/helpers.ts';

/** agents.maxMessagesToHumanPerDay holds for the whole fleet: the router counts, the shards ask (issue 9 follow-up). */
const base = testOrg();
// A second human of the org (as config org.humans makes one).
const other = base.agents()[500]!.matrixId;
const org = new OrgDirectory(base.all().map((p) => (p.matrixId === other ? { ...p, human: true } : p)), base.domain);
const ceo = org.all().find((p) => p.human && p.matrixId !== other)!.matrixId;
const agent = org.agents()[3]!.matrixId;
const secret = 'test-secret';
const PER_DAY = 2;

describe('the daily bound of messages to one human, across shards', () => {
  let routerUrl = '';
  let server: Server;
  let routerDay = new Date('2026-12-03T10:00:00Z');
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(JSON.parse(line).msg); } });

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    installHumanQuotaApi(app as never, { db: openRouterStore(':memory:'), org, fleetSecret: secret, perDay: PER_DAY, now: () => routerDay, log: pino({ level: 'silent' }) });
    server = await new Promise((r) => { const s = app.listen(0, '127.0.0.1', () => r(s)); });
    routerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => { server.close(); });

  /** A shard's quota as shard.ts builds it: its own store, asking the router with its own token. */
  const shard = (shardId: string, url = routerUrl, token = shardToken(secret, shardId)) => new HumanMessageQuota(new ShardStore(':memory:').db, PER_DAY, undefined,
    { quota: new HumanQuotaClient({ routerUrl: url, shardId, token, timeoutMs: 1000 }), log });

  it('two shards share one limit: each could send the limit alone, together they send it once', async () => {
    const [a, b] = [shard('shard-0'), shard('shard-1')];
    expect(await a.take('t1', ceo)).toBeUndefined();
    expect(await b.take('t2', ceo)).toBeUndefined();
    expect(await a.take('t3', ceo)).toMatch(/2 messages today/);
    expect(await b.take('t4', ceo)).toMatch(/2 messages today/);
    // Another human has a count of their own; the router's next day starts again.
    expect(await b.take('t5', other)).toBeUndefined();
    routerDay = new Date('2026-12-04T00:00:01Z');
    expect(await a.take('t3', ceo)).toBeUndefined();
  });

  it('a retried or moved turn sending the same message neither counts twice nor is refused', async () => {
    routerDay = new Date('2026-12-10T10:00:00Z');
    const [a, b] = [shard('shard-0'), shard('shard-1')];
    expect(await a.take('same', ceo)).toBeUndefined();
    expect(await a.take('same', ceo)).toBeUndefined();
    // The turn moved to another shard and re-ran: the router knows the message.
    expect(await b.take('same', ceo)).toBeUndefined();
    expect(await b.take('second', ceo)).toBeUndefined();
    expect(await a.take('third', ceo)).toMatch(/limit/);
    // At the limit, the messages already counted still go.
    expect(await a.take('same', ceo)).toBeUndefined();
    expect(await shard('shard-2').take('second', ceo)).toBeUndefined();
  });

  it('router unreachable: the shard counts alone (reports are not lost), bounded per shard, and says so once', async () => {
    const closed = await new Promise<Server>((r) => { const s = express().listen(0, '127.0.0.1', () => r(s)); });
    const gone = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    warnings.length = 0;
    const a = shard('shard-0', gone);
    expect(await a.take('down-1', ceo)).toBeUndefined();
    expect(await a.take('down-2', ceo)).toBeUndefined();
    expect(await a.take('down-3', ceo)).toMatch(/2 messages today/);
    expect(await a.take('down-1', ceo)).toBeUndefined();
    expect(warnings.filter((w) => /counts them alone/.test(w))).toHaveLength(1);
  });

  it('an answer that is not the router\'s count (an older router: 404; a wrong token: 403) falls back to the local count too', async () => {
    routerDay = new Date('2026-12-11T10:00:00Z');
    const older = await new Promise<Server>((r) => { const s = express().listen(0, '127.0.0.1', () => r(s)); });
    const olderUrl = `http://127.0.0.1:${(older.address() as AddressInfo).port}`;
    expect(await shard('shard-0', olderUrl).take('old-1', ceo)).toBeUndefined();
    older.close();
    expect(await shard('shard-0', routerUrl, 'forged').take('forged-1', ceo)).toBeUndefined();
    // Neither reached the router's count: the fleet still has its whole day.
    expect(await shard('shard-1').take('new-1', ceo)).toBeUndefined();
    expect(await shard('shard-1').take('new-2', ceo)).toBeUndefined();
  });

  it('the router refuses another shard\'s token and counts only messages to humans of the org', async () => {
    const post = (token: string, body: unknown) => fetch(`${routerUrl}${HUMAN_QUOTA_PATH}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body),
    });
    expect((await post(shardToken(secret, 'shard-1'), { shardId: 'shard-0', txn: 'x', human: ceo })).status).toBe(403);
    expect((await post(secret, { shardId: 'shard-0', txn: 'x', human: ceo })).status).toBe(403);
    expect((await post(shardToken(secret, 'shard-0'), { shardId: 'shard-0', txn: 'x', human: agent })).status).toBe(400);
    expect((await post(shardToken(secret, 'shard-0'), { shardId: 'shard-0', txn: 'x', human: '@eve:evil.org' })).status).toBe(400);
  });
});
