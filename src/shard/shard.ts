import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentRuntime, AgentServices } from '../agents/runtime.ts';
import { ColleagueMessenger } from './colleague-messenger.ts';
import { componentLogger, type Logger } from '../log.ts';
import { AgentMatrix } from '../matrix/agent-actions.ts';
import { createBridge } from '../matrix/bridge.ts';
import { UserProvisioner } from '../matrix/provisioning.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { LoadedRegistration } from '../router/registration.ts';
import { AgentHost, type AgentHostOptions } from './agent-host.ts';
import { bearerMatches, COMPLETIONS_PATH, DELIVERIES_PATH, HEARTBEAT_PATH, type Delivery, type ShardAnnouncement } from './protocol.ts';
import { ShardStore } from './store.ts';
import { ShardLimits, type LimitsInput } from './limits/index.ts';

export interface ShardOptions {
  shardId: string;
  org: OrgDirectory;
  registration: LoadedRegistration;
  homeserverUrl: string;
  routerUrl: string;
  shardSecret: string;
  dbPath: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The url the router should use; defaults to http://host:port. */
  advertiseUrl?: string;
  heartbeatMs: number;
  /** Builds the agents' runtime once the shard can offer it services (messaging colleagues over Matrix). */
  runtime: (services: AgentServices) => AgentRuntime;
  maxHops?: number;
  limits?: LimitsInput;
  /** Queue figures of the rate-limited model providers, for /healthz. */
  limitStats?: () => unknown;
  costOf?: AgentHostOptions['costOf'];
  maxBodyBytes?: number;
}

export interface RunningShard {
  shardId: string;
  url: string;
  host: AgentHost;
  store: ShardStore;
  close(): Promise<void>;
}

const MAX_BODY = 20_000_000;
const TOO_LARGE = Symbol('too large');

/** A shard process's core: accepts deliveries from the router, runs its agents, heartbeats to the router. */
export async function startShard(opts: ShardOptions): Promise<RunningShard> {
  const log = componentLogger('shard', { shardId: opts.shardId });
  const store = new ShardStore(opts.dbPath);
  const completions = new CompletionReporter(opts.routerUrl, opts.shardSecret, opts.shardId, log);
  const bridge = await createBridge({ homeserverUrl: opts.homeserverUrl, domain: opts.org.domain, registration: opts.registration });
  const provisioner = new UserProvisioner(bridge, opts.org, store.db);
  const matrix = new AgentMatrix(bridge, provisioner);
  const runtime = opts.runtime(new ColleagueMessenger({ bridge, matrix, provisioner, org: opts.org, db: store.db }));
  const limits = new ShardLimits(opts.limits ? { limits: opts.limits } : {});
  const host = new AgentHost({
    limits,
    org: opts.org, store, runtime, log, matrix,
    maxHops: opts.maxHops ?? 6,
    maxInputChars: 8000,
    maxReplyChars: 16000,
    onFinished: (id) => completions.add(id),
    ...(opts.costOf ? { costOf: opts.costOf } : {}),
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log.error({ err: (err as Error).message }, 'request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      send(res, 200, { ok: true, shardId: opts.shardId, deliveries: store.counts(), queues: host.queueDepths(),
        limits: limits.stats(), providers: opts.limitStats?.(), topUsage: store.usage(10) });
      return;
    }
    if (req.method === 'POST' && req.url === DELIVERIES_PATH) {
      if (!bearerMatches(req.headers.authorization, opts.shardSecret)) {
        send(res, 403, { error: 'wrong shard secret' });
        return;
      }
      const body = await readJson(req, opts.maxBodyBytes ?? MAX_BODY).catch(() => TOO_LARGE);
      if (body === TOO_LARGE) {
        send(res, 413, { error: 'delivery batch too large' });
        return;
      }
      const deliveries = (body as { deliveries?: unknown })?.deliveries;
      if (!Array.isArray(deliveries) || !deliveries.every(isDelivery)) {
        send(res, 400, { error: 'expected {"deliveries": [Delivery...]}' });
        return;
      }
      send(res, 200, { accepted: host.accept(deliveries) });
      return;
    }
    send(res, 404, { error: 'not found' });
  };
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve));
  const port = (server.address() as AddressInfo).port;
  const url = opts.advertiseUrl ?? `http://${opts.host}:${port}`;
  const resumed = host.resumePending();
  if (resumed > 0) log.info({ resumed }, 'resuming deliveries accepted before the last stop');

  const announcement: ShardAnnouncement = { shardId: opts.shardId, url, startedAt: Date.now() };
  const beat = async () => {
    try {
      const r = await fetch(new URL(HEARTBEAT_PATH, opts.routerUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.shardSecret}` },
        body: JSON.stringify(announcement),
        signal: AbortSignal.timeout(opts.heartbeatMs * 2),
      });
      if (!r.ok) log.warn({ status: r.status }, 'router refused heartbeat (wrong shard secret?)');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'router unreachable for heartbeat');
    }
  };
  await beat();
  const timer = setInterval(beat, opts.heartbeatMs);
  log.info({ url }, 'shard ready');

  return {
    shardId: opts.shardId,
    url,
    host,
    store,
    async close() {
      clearInterval(timer);
      await completions.flush();
      await fetch(new URL(`${HEARTBEAT_PATH}/${encodeURIComponent(opts.shardId)}`, opts.routerUrl), {
        method: 'DELETE', headers: { authorization: `Bearer ${opts.shardSecret}` }, signal: AbortSignal.timeout(2000),
      }).catch(() => undefined);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await host.idle();
      await runtime.close();
      await bridge.close();
      store.close();
    },
  };
}

function isDelivery(d: unknown): d is Delivery {
  const x = d as Partial<Delivery>;
  return typeof x?.id === 'string' && typeof x.agentId === 'string' && typeof x.roomId === 'string'
    && (x.kind === 'message' || x.kind === 'invite' || x.kind === 'leave') && typeof x.event === 'object' && x.event !== null;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Tells the router which deliveries are finished, in small batches. A lost report only means the router would hand
 * that delivery to another shard if this one died, where the stable reply transaction id keeps it from posting twice.
 */
class CompletionReporter {
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly url: URL;
  private readonly secret: string;
  private readonly shardId: string;
  private readonly log: Logger;

  constructor(routerUrl: string, secret: string, shardId: string, log: Logger) {
    this.url = new URL(COMPLETIONS_PATH, routerUrl);
    this.secret = secret;
    this.shardId = shardId;
    this.log = log;
  }

  add(id: string): void {
    this.pending.add(id);
    this.timer ??= setTimeout(() => void this.flush(), 100);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending = new Set();
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.secret}` },
        body: JSON.stringify({ shardId: this.shardId, ids }),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`router answered ${res.status}`);
    } catch (err) {
      for (const id of ids) this.pending.add(id);
      this.log.warn({ err: (err as Error).message, ids: ids.length }, 'could not report finished deliveries; will retry');
      this.timer ??= setTimeout(() => void this.flush(), 2000);
    }
  }
}
