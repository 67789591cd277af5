import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, startAppserviceFront } from '../helpers/appservice-front.ts';
import { testHomeserver, type TestHomeserver } from '../helpers/homeserver.ts';
import { freePort } from '../helpers/ports.ts';

interface Transaction { txnId: string; authorization: string | undefined; events: Array<{ event_id: string; type: string; sender: string }> }

/** A stand-in appservice: records transactions and answers everything the homeserver asks with success. */
async function startRecordingAppservice(): Promise<{ url: string; transactions: Transaction[]; close(): Promise<void> }> {
  const transactions: Transaction[] = [];
  const server: Server = createServer(async (req, res) => {
    const text = (await readBody(req)).toString('utf8');
    const txn = /^\/_matrix\/app\/v1\/transactions\/([^/?]+)/.exec(req.url ?? '');
    if (req.method === 'PUT' && txn) {
      const body = JSON.parse(text) as { events?: Transaction['events'] };
      transactions.push({ txnId: decodeURIComponent(txn[1]!), authorization: req.headers.authorization, events: body.events ?? [] });
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    transactions,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('local Synapse test harness', () => {
  let hs: TestHomeserver;
  const suffix = randomBytes(4).toString('hex');
  const human = { localpart: `harness-human-${suffix}`, password: `pw-${suffix}-harness` };
  const puppetLocalpart = `harness-puppet-${suffix}`;
  let humanToken: string;
  let puppetId: string;

  const api = async (path: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
    const res = await fetch(`${hs.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const login = (password: string) =>
    api('/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: human.localpart }, password } });

  beforeAll(() => {
    hs = testHomeserver();
  });

  afterAll(async () => {
    await hs.detachBackend();
  });

  it('answers the client versions endpoint on 127.0.0.1', async () => {
    expect(hs.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { status, body } = await api('/_matrix/client/versions');
    expect(status).toBe(200);
    expect(body.versions).toEqual(expect.arrayContaining(['v1.7']));
  });

  it('registers a user once; registering again reports it exists', async () => {
    const first = await hs.registerUser(human.localpart, human.password);
    expect(first).toEqual({ userId: `@${human.localpart}:anycompany.corp`, created: true });
    const again = await hs.registerUser(human.localpart, human.password);
    expect(again).toEqual({ userId: first.userId, created: false });
  });

  it('lets the registered user log in with the password, and only with it', async () => {
    const ok = await login(human.password);
    expect(ok.status).toBe(200);
    expect(ok.body.user_id).toBe(`@${human.localpart}:anycompany.corp`);
    humanToken = ok.body.access_token as string;
    expect(typeof humanToken).toBe('string');
    expect((await login('wrong-password')).status).toBe(403);
  });

  it("registers a namespaced user with the appservice's as_token", async () => {
    const body = { type: 'm.login.application_service', username: puppetLocalpart };
    const refused = await api('/_matrix/client/v3/register', { body, token: 'not-the-as-token' });
    expect(refused.status).toBe(401);
    const res = await api('/_matrix/client/v3/register', { body, token: hs.registration.asToken });
    expect(res.status).toBe(200);
    puppetId = res.body.user_id as string;
    expect(puppetId).toBe(`@${puppetLocalpart}:anycompany.corp`);
  });

  it('delivers a human message to the attached backend through the front, held while none is attached', async () => {
    const appservice = await startRecordingAppservice();
    try {
      await hs.attachBackend(appservice.url);
      const room = await api('/_matrix/client/v3/createRoom', { token: humanToken, body: { preset: 'private_chat', invite: [puppetId] } });
      expect(room.status).toBe(200);
      const roomId = room.body.room_id as string;
      const asPuppet = `user_id=${encodeURIComponent(puppetId)}`;
      const joined = await api(`/_matrix/client/v3/join/${encodeURIComponent(roomId)}?${asPuppet}`, { token: hs.registration.asToken, body: {} });
      expect(joined.status).toBe(200);

      const say = async (body: string) => {
        const sent = await api(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${randomBytes(6).toString('hex')}`, {
          method: 'PUT', token: humanToken, body: { msgtype: 'm.text', body },
        });
        expect(sent.status).toBe(200);
        return sent.body.event_id as string;
      };
      const delivered = (eventId: string) => () => appservice.transactions.find((t) => t.events.some((e) => e.event_id === eventId));

      const first = await say('hello while the backend is attached');
      const txn = await waitUntil('the transaction with the first message', delivered(first));
      expect(txn.authorization).toBe(`Bearer ${hs.registration.hsToken}`);
      expect(txn.events.find((e) => e.event_id === first)).toMatchObject({ type: 'm.room.message', sender: `@${human.localpart}:anycompany.corp` });

      await hs.detachBackend();
      const second = await say('hello while no backend is attached');
      // Synapse pushes at once; the front must hold that transaction rather than fail it.
      await new Promise((r) => setTimeout(r, 1000));
      expect(delivered(second)()).toBeUndefined();
      await hs.attachBackend(appservice.url);
      await waitUntil('the held transaction with the second message', delivered(second));

      const ping = await api(`/_matrix/client/v1/appservice/${encodeURIComponent(hs.registration.id)}/ping`, {
        token: hs.registration.asToken, body: { transaction_id: `harness-${suffix}` },
      });
      expect(ping.status).toBe(200);
    } finally {
      await hs.detachBackend();
      await appservice.close();
    }
  });
});

describe('appservice front', () => {
  it('holds a request while no backend is attached and forwards it once one is', async () => {
    const front = await startAppserviceFront({ port: await freePort() });
    const backend = await startRecordingAppservice();
    try {
      const pending = fetch(`${front.url}/_matrix/app/v1/transactions/held-1`, {
        method: 'PUT', headers: { 'content-type': 'application/json', authorization: 'Bearer hs' },
        body: JSON.stringify({ events: [{ event_id: '$held', type: 'm.room.message', sender: '@a:anycompany.corp' }] }),
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(backend.transactions).toEqual([]);
      const attach = await fetch(`${front.url}/__front/backend`, { method: 'POST', body: JSON.stringify({ url: backend.url }) });
      expect(attach.status).toBe(200);
      const res = await pending;
      expect(res.status).toBe(200);
      expect(backend.transactions).toEqual([{ txnId: 'held-1', authorization: 'Bearer hs', events: [expect.objectContaining({ event_id: '$held' })] }]);
    } finally {
      await backend.close();
      await front.close();
    }
  });

  it('answers 503 when no backend is attached within the hold time', async () => {
    const front = await startAppserviceFront({ port: await freePort(), holdMs: 200 });
    try {
      const res = await fetch(`${front.url}/_matrix/app/v1/ping`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(503);
    } finally {
      await front.close();
    }
  });
});
