import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentRuntime, AgentServices } from '../agents/runtime.ts';
import { ColleagueMessenger } from './colleague-messenger.ts';
import { TasksClient } from './tasks-client.ts';
import { HumanQuotaClient } from './human-quota-client.ts';
import { componentLogger } from '../log.ts';
import { AgentMatrix } from '../matrix/agent-actions.ts';
import { createBridge } from '../matrix/bridge.ts';
import { UserProvisioner } from '../matrix/provisioning.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { LoadedRegistration } from '../matrix/registration.ts';
import { AgentHost, type AgentHostOptions } from './agent-host.ts';
import { ACTIVITY_PATH, bearerMatches, DELIVERIES_PATH, STATUS_PATH, type Delivery, type ShardStatus } from '../protocol/wire.ts';
import { METRICS_PATH, metricsHandler, shardRegistry, trackShard } from '../metrics/metrics.ts';
import { RouterLink } from './router-link.ts';
import { ShardStore } from './store.ts';
import { ShardLimits, type LimitsInput } from './limits/index.ts';

export interface ShardOptions {
  shardId: string;
  org: OrgDirectory;
  registration: Pick<LoadedRegistration, 'asToken' | 'senderLocalpart' | 'id' | 'url'> & Partial<LoadedRegistration>;
  homeserverUrl: string;
  routerUrl: string;
  /** This shard's own token (protocol.ts shardToken): it authenticates the shard to the router and the router to it. */
  shardToken: string;
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
  /** agents.maxMessagesToHumanPerDay. */
  maxMessagesToHumanPerDay?: number;
  limits?: LimitsInput;
  /** Queue figures of the rate-limited model providers, for the status API. */
  limitStats?: () => unknown;
  costOf?: AgentHostOptions['costOf'];
  maxBodyBytes?: number;
  /** An orderly stop waits this long for running turns before aborting them. Default 10 s. */
  drainMs?: number;
  turnTimeoutMs?: number;
  retryHorizonMs?: number;
  /** Finished work and activity older than this are pruned from the shard's store. Default 7 days. */
  retentionMs?: number;
  /** Called when the router says a newer process runs this shard id (the process should exit). */
  onSuperseded?: () => void;
}

export interface RunningShard {
  shardId: string;
  url: string;
  startedAt: number;
  host: AgentHost;
  store: ShardStore;
  /** Orderly stop: drain, report, leave, close. */
  close(): Promise<void>;
}

const MAX_BODY = 20_000_000;

/** A shard process's core: accepts deliveries from the router, runs its agents under the router's claims. */
export async function startShard(opts: ShardOptions): Promise<RunningShard> {
  const log = componentLogger('shard', { shardId: opts.shardId });
  const startedAt = Date.now();
  const store = new ShardStore(opts.dbPath);
  const bridge = await createBridge({ homeserverUrl: opts.homeserverUrl, domain: opts.org.domain, registration: opts.registration as LoadedRegistration });
  const provisioner = new UserProvisioner(bridge, opts.org, store.db);
  const matrix = new AgentMatrix(bridge, provisioner);
  // The tasks tool's requests go to the router, which keeps the one task store (src/tasks).
  const tasks = new TasksClient({ routerUrl: opts.routerUrl, shardId: opts.shardId, token: opts.shardToken });
  const runtime = opts.runtime(Object.assign(new ColleagueMessenger({
    bridge, matrix, provisioner, org: opts.org, db: store.db,
    // Messages to humans are counted fleet-wide by the router (router/human-quota-api.ts).
    fleetQuota: { quota: new HumanQuotaClient({ routerUrl: opts.routerUrl, shardId: opts.shardId, token: opts.shardToken }), log },
    ...(opts.maxMessagesToHumanPerDay !== undefined ? { maxMessagesToHumanPerDay: opts.maxMessagesToHumanPerDay } : {}),
  }), { tasks: tasks.request.bind(tasks) }));
  const limits = new ShardLimits(opts.limits ? { limits: opts.limits } : {});

  let host!: AgentHost;
  let stopping = false;
  const app = express();
  const server: Server = await new Promise((resolve) => { const s = app.listen(opts.port, opts.host, () => resolve(s)); });
  const url = opts.advertiseUrl ?? `http://${opts.host}:${(server.address() as AddressInfo).port}`;
  const link = new RouterLink({
    routerUrl: opts.routerUrl, shardId: opts.shardId, token: opts.shardToken, url, startedAt, heartbeatMs: opts.heartbeatMs, store, log,
    onSuperseded: () => {
      log.error('superseded by a newer process of this shard id: stopping work here');
      void host.drain(0);
      opts.onSuperseded?.();
    },
    onPlacement: () => host.placementChanged(),
  });
  host = new AgentHost({
    shardId: opts.shardId, limits, org: opts.org, store, runtime, log, matrix, gate: link,
    maxHops: opts.maxHops ?? 6,
    maxInputChars: 8000,
    maxReplyChars: 16000,
    ...(opts.turnTimeoutMs ? { turnTimeoutMs: opts.turnTimeoutMs } : {}),
    ...(opts.retryHorizonMs ? { retryHorizonMs: opts.retryHorizonMs } : {}),
    ...(opts.costOf ? { costOf: opts.costOf } : {}),
  });

  const routerOnly = (req: Request, res: Response, next: NextFunction) => {
    if (bearerMatches(req.headers.authorization, opts.shardToken)) next();
    else res.status(403).send({ error: 'wrong shard token' });
  };
  // Anonymous callers (load balancers, ECS health checks) learn only that the process is alive.
  app.get('/healthz', (_req, res) => { res.send({ ok: true }); });
  app.post(DELIVERIES_PATH, routerOnly, express.json({ limit: opts.maxBodyBytes ?? MAX_BODY }), (req, res) => {
    if (stopping) {
      res.status(503).send({ error: 'shard stopping' });
      return;
    }
    const deliveries = (req.body as { deliveries?: unknown })?.deliveries;
    if (!Array.isArray(deliveries) || !deliveries.every(isDelivery)) {
      res.status(400).send({ error: 'expected {"deliveries": [Delivery...]}' });
      return;
    }
    res.send({ accepted: host.accept(deliveries) });
  });
  app.get(STATUS_PATH, routerOnly, (_req, res) => { res.send(status()); });
  app.get(METRICS_PATH, metricsHandler(shardRegistry, () => opts.shardToken));
  trackShard(opts.shardId, {
    warmAgents: () => (runtime as { warmAgents?: () => string[] }).warmAgents?.().length ?? 0,
    queuedDeliveries: () => store.counts().pending,
    providers: () => opts.limitStats?.(),
  });
  app.get(ACTIVITY_PATH, routerOnly, (req, res) => {
    const sinceAt = Number(req.query.sinceAt ?? 0) || 0;
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    res.send({ turns: store.turnsSince(sinceAt, limit).map(({ seq, deliveryId: _d, ...t }) => ({ id: `${opts.shardId}:${seq}`, shardId: opts.shardId, ...t })) });
  });
  app.use((err: Error & { type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') res.status(413).send({ error: 'delivery batch too large' });
    else if (err.type === 'entity.parse.failed') res.status(400).send({ error: 'body is not JSON' });
    else {
      log.error({ err: err.message }, 'request failed');
      res.status(500).send({ error: 'internal error' });
    }
  });

  const status = (): ShardStatus => {
    const queued = store.pendingCounts();
    const usage = store.usageByAgent();
    const last = store.lastTurnAt();
    const warm = new Set((runtime as { warmAgents?: () => string[] }).warmAgents?.() ?? []);
    const ids = new Set([...queued.keys(), ...usage.keys(), ...warm]);
    return {
      shardId: opts.shardId, startedAt, deliveries: store.counts(),
      limits: limits.stats(), providers: opts.limitStats?.(),
      agents: [...ids].sort().map((agentId) => {
        const u = usage.get(agentId);
        return {
          agentId, queued: queued.get(agentId) ?? 0, warm: warm.has(agentId), ...(last.has(agentId) ? { lastTurnAt: last.get(agentId)! } : {}),
          turns: u?.turns ?? 0, inputTokens: u?.inputTokens ?? 0, outputTokens: u?.outputTokens ?? 0, costUsd: u?.costUsd ?? 0,
        };
      }),
    };
  };

  store.prune(opts.retentionMs ?? 7 * 24 * 3600_000);
  const pruneTimer = setInterval(() => store.prune(opts.retentionMs ?? 7 * 24 * 3600_000), 3600_000);
  pruneTimer.unref();
  await link.start();
  const resumed = host.resumePending();
  if (resumed > 0) log.info({ agents: resumed }, 'resuming deliveries accepted before the last stop');
  log.info({ url }, 'shard ready');

  return {
    shardId: opts.shardId,
    url,
    startedAt,
    host,
    store,
    async close() {
      // Drain, report, then leave: leaving first would have the router re-hand work this process is finishing.
      stopping = true;
      clearInterval(pruneTimer);
      trackShard(opts.shardId, undefined);
      await host.drain(opts.drainMs ?? 10_000);
      for (let i = 0; i < 5 && !(await link.report()); i++) await sleep(500);
      await link.leave();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await runtime.close();
      await bridge.close();
      store.close();
      log.info('shard stopped');
    },
  };
}

function isDelivery(d: unknown): d is Delivery {
  const x = d as Partial<Delivery>;
  return typeof x?.id === 'string' && typeof x.agentId === 'string' && typeof x.roomId === 'string'
    && (x.kind === 'message' || x.kind === 'invite' || x.kind === 'leave') && typeof x.event === 'object' && x.event !== null
    && typeof x.room === 'object' && x.room !== null && (x.reply === undefined || typeof x.reply === 'string');
}
