import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathTemplate, requestKind, startCountingProxy, trafficBetween, type CountingProxy } from '../../../src/bench/request-counter.ts';

describe('bench request counter', () => {
  it('turns paths into templates and kinds', () => {
    const send = pathTemplate('/_matrix/client/v3/rooms/!abc%3Afake.test/send/m.room.message/fleet-%24x?user_id=%40a%3Afake.test');
    expect(send).toBe('/_matrix/client/v3/rooms/{room}/send/{type}/{txn}');
    expect(requestKind(`PUT ${send}`)).toBe('send');
    expect(pathTemplate('/_matrix/app/v1/transactions/123')).toBe('/_matrix/app/v1/transactions/{txn}');
    expect(requestKind('PUT /_matrix/app/v1/transactions/{txn}')).toBe('push');
    expect(requestKind(`PUT ${pathTemplate('/_matrix/client/v3/rooms/!r:x/typing/@a:x')}`)).toBe('typing');
    expect(requestKind(`GET ${pathTemplate('/_matrix/client/v3/rooms/!r:x/joined_members')}`)).toBe('members');
    expect(requestKind(`POST ${pathTemplate('/_matrix/client/v3/rooms/!r:x/receipt/m.read/$e')}`)).toBe('receipt');
    expect(requestKind(`POST ${pathTemplate('/_matrix/client/v3/join/!r:x')}`)).toBe('join');
    expect(requestKind(`PUT ${pathTemplate('/_matrix/client/v3/profile/@a:x/displayname')}`)).toBe('profile');
    expect(requestKind('GET /_matrix/client/v3/capabilities')).toBe('other GET');
  });

  describe('the proxy', () => {
    let upstream: Server;
    let proxy: CountingProxy;
    beforeAll(async () => {
      upstream = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => { body += c.toString(); }).on('end', () => {
          res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
          res.end(JSON.stringify({ method: req.method, url: req.url, body }));
        });
      });
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
      proxy = await startCountingProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        (req) => req.headers.authorization === 'Bearer as');
    });
    afterAll(async () => {
      await proxy.close();
      upstream.close();
    });

    it('forwards requests unchanged and counts only those it is told to', async () => {
      const before = proxy.snapshot();
      const res = await fetch(`${proxy.url}/_matrix/client/v3/rooms/!r:x/send/m.room.message/t1?user_id=@a:x`, {
        method: 'PUT', headers: { authorization: 'Bearer as', 'content-type': 'application/json' }, body: '{"body":"hi"}',
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-upstream')).toBe('yes');
      expect(await res.json()).toEqual({ method: 'PUT', url: '/_matrix/client/v3/rooms/!r:x/send/m.room.message/t1?user_id=@a:x', body: '{"body":"hi"}' });
      await fetch(`${proxy.url}/_matrix/client/v3/sync`, { headers: { authorization: 'Bearer someone-else' } });
      const t = trafficBetween(before, proxy.snapshot());
      expect(t.byKind).toEqual({ send: 1 });
      expect(t.total).toBe(1);
    });
  });
});
