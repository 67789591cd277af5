import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { keepLinkAlive, pingHomeserver } from '../../../src/router/homeserver-ping.ts';

/** A homeserver whose ping endpoint answers each call with the next of `answers` (the last one repeats). */
async function homeserver(answers: Array<[number, object]>): Promise<{ url: string; calls: () => number; server: Server }> {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume().on('end', () => {
      const [status, body] = answers[Math.min(calls++, answers.length - 1)]!;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => calls, server };
}

function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'trace' }, new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
  return { log, lines, errors: () => lines.filter((l) => l.level >= 50).map((l) => l.msg) };
}

const servers: Server[] = [];
afterEach(() => { for (const s of servers.splice(0)) s.close(); });

describe('start-up ping of the homeserver', () => {
  it('retries while the homeserver cannot reach the router yet, and calls the link verified, not broken', async () => {
    const hs = await homeserver([[502, { errcode: 'M_CONNECTION_FAILED' }], [502, { errcode: 'M_CONNECTION_FAILED' }], [200, { duration_ms: 7 }]]);
    servers.push(hs.server);
    const { log, errors, lines } = capture();
    const result = await pingHomeserver({ homeserverUrl: hs.url, appserviceId: 'fleet', asToken: 't', log, firstRetryMs: 10 });
    expect(result).toMatchObject({ ok: true, durationMs: 7, attempts: 3 });
    expect(errors()).toEqual([]);
    expect(lines.at(-1)!.msg).toBe('homeserver ↔ router link verified by ping');
  });

  it('reports a wrong token at once: waiting does not fix it', async () => {
    const hs = await homeserver([[403, { errcode: 'M_UNKNOWN_TOKEN' }]]);
    servers.push(hs.server);
    const { log, errors } = capture();
    const result = await pingHomeserver({ homeserverUrl: hs.url, appserviceId: 'fleet', asToken: 't', log, firstRetryMs: 10 });
    expect(result).toMatchObject({ ok: false, errcode: 'M_UNKNOWN_TOKEN', attempts: 1 });
    expect(hs.calls()).toBe(1);
    expect(errors()).toEqual([expect.stringMatching(/^homeserver ↔ router link broken: the homeserver does not know our as_token/)]);
  });

  it('calls the link broken once the tries are used up, with the reason', async () => {
    const { log, errors } = capture();
    const result = await pingHomeserver({ homeserverUrl: 'http://127.0.0.1:1', appserviceId: 'fleet', asToken: 't', log, attempts: 3, firstRetryMs: 10 });
    expect(result).toMatchObject({ ok: false, attempts: 3 });
    expect(errors()).toEqual([expect.stringMatching(/link broken: homeserver at http:\/\/127\.0\.0\.1:1 unreachable/)]);
  });
});

describe('pings after start-up', () => {
  it('keeps pinging (a success makes Synapse retry a backed-off appservice at once) and logs only changes of state', async () => {
    const hs = await homeserver([[200, {}], [502, { errcode: 'M_CONNECTION_FAILED' }], [502, { errcode: 'M_CONNECTION_FAILED' }], [200, {}]]);
    servers.push(hs.server);
    const { log, lines } = capture();
    let back = 0;
    const stop = keepLinkAlive({ homeserverUrl: hs.url, appserviceId: 'fleet', asToken: 't', log, everyMs: 20, onBack: () => { back++; } });
    await new Promise((r) => setTimeout(r, 300));
    stop();
    const calls = hs.calls();
    expect(calls).toBeGreaterThanOrEqual(5);
    await new Promise((r) => setTimeout(r, 60));
    expect(hs.calls()).toBe(calls);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/^homeserver ↔ router ping failed/), 'homeserver ↔ router link back (ping)']);
    expect(back).toBe(1); // the outage catch-up runs once, when the link works again
  });
});
