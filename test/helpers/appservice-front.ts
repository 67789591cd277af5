import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

/** Control path on the front itself; the appservice API never uses it. */
export const FRONT_CONTROL_PATH = '/__front/backend';

// Synapse gives up on an appservice request after 60 s and marks the appservice DOWN; answering before that keeps
// a held request a plain failure of one transaction.
const DEFAULT_HOLD_MS = 55_000;

export interface AppserviceFront {
  url: string;
  setBackend(url: string | null): void;
  backend(): string | null;
  close(): Promise<void>;
}

/**
 * A stable address for the test appservice registration. Synapse marks an unreachable appservice DOWN and backs off
 * (2^n s), so letting each test's router come and go on the registered URL would make delivery depend on test order
 * and timing. The front stays up for the whole run, forwards every request to the backend currently attached, and
 * holds requests while none is (or while it refuses connections) until one is attached.
 * Test workers attach/detach with `POST /__front/backend {"url": ...}`.
 */
export function startAppserviceFront(opts: { port: number; holdMs?: number }): Promise<AppserviceFront> {
  const holdMs = opts.holdMs ?? DEFAULT_HOLD_MS;
  let backend: string | null = null;
  const waiters = new Set<() => void>();
  let closed = false;

  const setBackend = (url: string | null) => {
    backend = url ? url.replace(/\/$/, '') : null;
    for (const wake of [...waiters]) wake();
  };

  /** Resolves when the backend changes, or after `ms`. */
  const backendChangeOr = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });

  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const deadline = Date.now() + holdMs;
    while (!closed && Date.now() < deadline) {
      const target = backend;
      if (target === null) {
        await backendChangeOr(deadline - Date.now());
        continue;
      }
      try {
        await proxyOnce(target, req, body, res);
        return;
      } catch {
        // Nothing reached the appservice (connection refused/reset before a response): the backend is between
        // restarts. Wait for a new one or retry shortly, as Synapse would after a backoff, but without the backoff.
        await backendChangeOr(Math.min(250, Math.max(0, deadline - Date.now())));
      }
    }
    respondJson(res, 503, { errcode: 'M_UNKNOWN', error: 'no appservice backend attached to the test front' });
  };

  const control = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET') return respondJson(res, 200, { url: backend });
    if (req.method !== 'POST') return respondJson(res, 405, { error: 'GET or POST' });
    try {
      const text = (await readBody(req)).toString('utf8');
      const { url } = JSON.parse(text) as { url?: unknown };
      if (url !== null && (typeof url !== 'string' || !/^https?:\/\//.test(url))) throw new Error('url must be an http(s) URL or null');
      setBackend(url);
      respondJson(res, 200, { url: backend });
    } catch (err) {
      respondJson(res, 400, { error: (err as Error).message });
    }
  };

  const server = createServer((req, res) => {
    const handle = req.url?.startsWith(FRONT_CONTROL_PATH) ? control : forward;
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) respondJson(res, 502, { errcode: 'M_UNKNOWN', error: err.message });
      else res.destroy(err);
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${opts.port}`,
        setBackend,
        backend: () => backend,
        close: () =>
          new Promise<void>((done) => {
            closed = true;
            for (const wake of [...waiters]) wake();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** One attempt; rejects only when the backend gave no response at all (so the caller may safely retry). */
function proxyOnce(target: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url ?? '/', `${target}/`);
    const headers = { ...req.headers, host: url.host, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const upstream = httpRequest(url, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.once('end', resolve);
      answer.once('error', resolve); // response already started: nothing left to retry
    });
    upstream.once('error', reject);
    upstream.end(body);
  });
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function respondJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
