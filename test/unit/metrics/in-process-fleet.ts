/**
 * Router + one shard in this process against a fake homeserver (no Synapse): enough of the client-server API for a
 * message to be stored, routed, handed over, claimed, answered by the scripted model and posted as a reply.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimpleAgentRuntime } from '../../../src/agents/simple-runtime.ts';
import { buildRegistration, toLoadedRegistration } from '../../../src/matrix/registration.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { OpenAICompatibleProvider, startScriptedModelServer, type ScriptedModelServer } from '../../../src/providers/index.ts';
import { shardToken } from '../../../src/protocol/wire.ts';
import { startRouter, type RunningRouter } from '../../../src/router/router.ts';
import { RateLimitedProvider } from '../../../src/shard/limits/index.ts';
import { startShard, type RunningShard } from '../../../src/shard/shard.ts';
import { freePort } from '../../helpers/ports.ts';

export const DOMAIN = 'fake.test';
export const SECRETS = {
  asToken: 'as-token-Zq8v1mXc4LrT9wP2',
  hsToken: 'hs-token-Bn5kJ7yH3fQ6sD1a',
  fleetSecret: 'fleet-secret-Ux4eW9cV2gR8tY5m',
};

export interface FakeHomeserver { url: string; requests: string[]; sent: Array<{ path: string; body: Record<string, unknown> }>; failNextSends: number; close(): Promise<void> }

/** Answers what the router and shard ask; the first `failNextSends` message sends get a 502 (an outage). */
export async function fakeHomeserver(members: readonly string[]): Promise<FakeHomeserver> {
  const hs: Omit<FakeHomeserver, 'url' | 'close'> = { requests: [], sent: [], failNextSends: 0 };
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const path = (req.url ?? '').split('?')[0]!;
      hs.requests.push(`${req.method} ${path}`);
      const json = (status: number, value: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
      if (path.endsWith('/register')) return json(200, { user_id: `@x:${DOMAIN}` });
      if (path.endsWith('/joined_members')) return json(200, { joined: Object.fromEntries(members.map((m) => [m, {}])) });
      if (/\/send\/m\.room\.message\//.test(path)) {
        if (hs.failNextSends > 0) {
          hs.failNextSends--;
          return json(502, { errcode: 'M_UNKNOWN', error: 'bad gateway' });
        }
        hs.sent.push({ path, body: JSON.parse(body || '{}') as Record<string, unknown> });
        return json(200, { event_id: `$reply${hs.sent.length}` });
      }
      if (/\/directory\/room\//.test(path) || /\/rooms\/[^/]+\/event\//.test(path)) return json(404, { errcode: 'M_NOT_FOUND', error: 'no' });
      return json(200, {});
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(hs, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  });
}

const readBody = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let body = '';
  req.on('data', (c: Buffer) => { body += c.toString(); }).on('end', () => resolve(body));
});

export interface InProcessFleet {
  org: OrgDirectory;
  hs: FakeHomeserver;
  router: RunningRouter;
  routerUrl: string;
  shard: RunningShard;
  shardToken: string;
  model: ScriptedModelServer;
  human: string;
  agent: string;
  /** Sends one transaction to the router as the homeserver would. */
  transaction(txnId: string, events: unknown[], token?: string): Promise<Response>;
  /** A message from the human mentioning the agent. */
  dm(n: number): Record<string, unknown>;
  /** Join events of the human and the agent in the room dm() writes to (the router learns membership from them). */
  joins(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startInProcessFleet(): Promise<InProcessFleet> {
  const org = new OrgDirectory(generateOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } }), DOMAIN);
  const human = org.humans()[0]!.matrixId;
  const agent = org.agents()[1]!.matrixId;
  const hs = await fakeHomeserver([human, agent]);
  const port = await freePort();
  const routerUrl = `http://127.0.0.1:${port}`;
  const registration = toLoadedRegistration(buildRegistration({
    id: 'fleet', url: routerUrl, domain: DOMAIN, senderLocalpart: 'fleet-bot', agents: org.agents().map((p) => p.localpart),
    asToken: SECRETS.asToken, hsToken: SECRETS.hsToken,
  }), 'test');
  const dataDir = mkdtempSync(join(tmpdir(), 'fleet-inproc-'));
  const router = await startRouter({
    org, registration, homeserverUrl: hs.url, shardSecret: SECRETS.fleetSecret, dbPath: join(dataDir, 'router.sqlite'),
    host: '127.0.0.1', port, deadShardAfterMs: 3000, heartbeatMs: 100,
  });
  const model = await startScriptedModelServer({ latencyMs: 0 });
  // Behind the limiter every shard puts its providers behind (cli/model.ts), which also owns 429 handling.
  const provider = new RateLimitedProvider(new OpenAICompatibleProvider({ baseUrl: model.url, model: 'scripted', stream: true, timeoutMs: 10_000, retries: 1 }));
  const token = shardToken(SECRETS.fleetSecret, 'shard-0');
  const shard = await startShard({
    shardId: 'shard-0', org, registration, homeserverUrl: hs.url, routerUrl, shardToken: token,
    dbPath: join(dataDir, 'shard-0.sqlite'), host: '127.0.0.1', port: 0, heartbeatMs: 100,
    runtime: () => new SimpleAgentRuntime(org, () => provider),
    limitStats: () => [{ id: provider.id, model: provider.model, ...provider.stats() }],
  });
  return {
    org, hs, router, routerUrl, shard, shardToken: token, model, human, agent,
    transaction: (txnId, events, t = SECRETS.hsToken) => fetch(`${routerUrl}/_matrix/app/v1/transactions/${txnId}`, {
      method: 'PUT', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }),
    }),
    dm: (n) => ({
      event_id: `$dm${n}`, room_id: '!dm:fake.test', sender: human, type: 'm.room.message', origin_server_ts: Date.now(),
      content: { msgtype: 'm.text', body: `hello ${n}`, 'm.mentions': { user_ids: [agent] } },
    }),
    joins: () => [human, agent].map((user) => ({
      event_id: `$join-${user}`, room_id: '!dm:fake.test', sender: user, state_key: user, type: 'm.room.member',
      origin_server_ts: Date.now(), content: { membership: 'join' },
    })),
    async close() {
      await shard.close();
      await router.close();
      await model.close();
      await hs.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds (or throws after `ms`). */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
