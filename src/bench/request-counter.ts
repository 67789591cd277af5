/**
 * A counting HTTP proxy for the bench: put between the fleet and its homeserver (both ways: the fleet's client-server
 * calls, and the homeserver's pushes to the router), it forwards every request unchanged over keep-alive
 * connections and counts it by method and path template (`PUT /_matrix/client/v3/rooms/{room}/send/{type}/{txn}`).
 * Counting on the wire, not in the fleet's code, is what makes "homeserver requests per answer" an honest figure:
 * whatever library call makes a request, it is seen here.
 */
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  url: string;
  /** Requests so far by template, and by kind (send, typing, members, push…). */
  snapshot(): TrafficSnapshot;
  close(): Promise<void>;
}

export interface TrafficSnapshot {
  byTemplate: Record<string, number>;
  byKind: Record<string, number>;
  total: number;
  /** TCP connections callers opened to the proxy, counted or not (keep-alive shows as few). */
  connections: number;
}

/** What happened between two snapshots. */
export function trafficBetween(before: TrafficSnapshot, after: TrafficSnapshot): TrafficSnapshot {
  const minus = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(Object.entries(a).map(([k, n]) => [k, n - (b[k] ?? 0)] as const).filter(([, n]) => n > 0));
  return { byTemplate: minus(after.byTemplate, before.byTemplate), byKind: minus(after.byKind, before.byKind),
    total: after.total - before.total, connections: after.connections - before.connections };
}

/** Two proxies' figures as one (the fleet's calls and the pushes it receives). */
export function mergeTraffic(...snapshots: TrafficSnapshot[]): TrafficSnapshot {
  const add = (pick: (s: TrafficSnapshot) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const s of snapshots) for (const [k, n] of Object.entries(pick(s))) out[k] = (out[k] ?? 0) + n;
    return out;
  };
  return { byTemplate: add((s) => s.byTemplate), byKind: add((s) => s.byKind),
    total: snapshots.reduce((n, s) => n + s.total, 0), connections: snapshots.reduce((n, s) => n + s.connections, 0) };
}

/** Counts only requests `countIf` accepts (e.g. those carrying the appservice's token); all are forwarded. */
export async function startCountingProxy(target: string, countIf: (req: IncomingMessage) => boolean = () => true): Promise<CountingProxy> {
  const to = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const byTemplate = new Map<string, number>();
  let connections = 0;
  const server: Server = createServer((req, res) => {
    if (countIf(req)) {
      const key = `${req.method} ${pathTemplate(req.url ?? '/')}`;
      byTemplate.set(key, (byTemplate.get(key) ?? 0) + 1);
    }
    const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host }, agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errcode: 'M_UNKNOWN', error: `bench proxy: ${err.message}` }));
    });
    req.pipe(upstream);
  });
  server.on('connection', () => { connections++; });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    snapshot() {
      const templates = Object.fromEntries(byTemplate);
      const byKind: Record<string, number> = {};
      let total = 0;
      for (const [key, n] of byTemplate) {
        const kind = requestKind(key);
        byKind[kind] = (byKind[kind] ?? 0) + n;
        total += n;
      }
      return { byTemplate: templates, byKind, total, connections };
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      agent.destroy();
      server.close(() => resolve());
    }),
  };
}

/** What one request is for, in the terms of the throughput report. */
export function requestKind(key: string): string {
  const [method, path = ''] = key.split(' ');
  const rules: Array<[RegExp, string]> = [
    [/\/_matrix\/app\/v1\/transactions\//, 'push'],
    [/\/_matrix\/app\/v1\/(users|rooms)\//, 'query'],
    [/\/send\/\{type\}\/|\/state\/m\.room\.message/, 'send'],
    [/\/typing\//, 'typing'],
    [/\/receipt\/|\/read_markers/, 'receipt'],
    [/\/joined_members|\/members|\/state\/m\.room\.member/, 'members'],
    [/\/join(\/|$)|\/rooms\/\{room\}\/join/, 'join'],
    [/\/leave$/, 'leave'],
    [/\/register/, 'register'],
    [/\/profile\//, 'profile'],
    [/\/presence\//, 'presence'],
    [/\/event\/|\/context\//, 'event'],
    [/\/sync/, 'sync'],
    [/\/account\/whoami/, 'whoami'],
  ];
  for (const [re, kind] of rules) if (re.test(path)) return kind;
  return `other ${method}`;
}

/** Ids, transaction ids and numbers out of a path, so requests of one kind share a template; the query is dropped. */
export function pathTemplate(url: string): string {
  const segments = url.split('?')[0]!.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i]!;
    const seg = safeDecode(raw);
    const prev = out[i - 1];
    if (seg.startsWith('!')) out.push('{room}');
    else if (seg.startsWith('@')) out.push('{user}');
    else if (seg.startsWith('$')) out.push('{event}');
    else if (seg.startsWith('#')) out.push('{alias}');
    else if (prev === 'send' || prev === 'state' || prev === 'receipt') out.push(prev === 'send' ? '{type}' : seg);
    else if (out[i - 2] === 'send' || prev === 'transactions') out.push('{txn}');
    else if (/^\d+$/.test(seg)) out.push('{n}');
    else out.push(seg);
  }
  return out.join('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
