import type { AppService, Bridge } from 'matrix-appservice-bridge';
import { AppserviceHttpError } from 'matrix-appservice-bridge';
import type { Request, Response } from 'express';
import type { OrgDirectory } from '../org/directory.ts';
import { componentLogger } from '../log.ts';
import { createBridge } from '../matrix/bridge.ts';
import { UserProvisioner } from '../matrix/provisioning.ts';
import { HandedDeliveries } from './handed.ts';
import { NotStaffed } from './not-staffed.ts';
import { AgentMatrix } from '../matrix/agent-actions.ts';
import { AdminRoom } from '../admin/admin-room.ts';
import { bearerMatches, COMPLETIONS_PATH, HEARTBEAT_PATH, SCALE_PATH, type Delivery, type ShardAnnouncement } from '../shard/protocol.ts';
import { DurableAppService } from './appservice-listener.ts';
import { Dispatcher } from './dispatcher.ts';
import { pingHomeserver, type PingResult } from './homeserver-ping.ts';
import { Inbox, type InboxItem } from './inbox.ts';
import type { LoadedRegistration } from './registration.ts';
import { RoomDirectory } from './rooms.ts';
import { EventRouter } from './route-event.ts';
import { deliverToShard } from './shard-client.ts';
import { ShardRegistry } from './shard-registry.ts';
import { openRouterStore } from './store.ts';
import type { RoomEvent } from './mentions.ts';

export interface RouterOptions {
  org: OrgDirectory;
  registration: LoadedRegistration;
  homeserverUrl: string;
  shardSecret: string;
  dbPath: string;
  host: string;
  port: number;
  deadShardAfterMs: number;
  /** Employees with a live agent; a message to anyone else gets a "not staffed" notice. Default: everyone. */
  live?: ReadonlySet<string>;
  /** Whatever runs the shards (local processes, ECS); lets `./fleet scale N` change their number live. */
  scaleShards?: (count: number) => Promise<void>;
}

export interface RunningRouter {
  port: number;
  registry: ShardRegistry;
  inbox: Inbox;
  bridge: Bridge;
  /** Asks the homeserver to ping us (call once the homeserver can reach the router's url). */
  verifyLink(): Promise<PingResult>;
  close(): Promise<void>;
}

/** Starts the appservice: durable inbox, routing, shard registry and delivery. */
export async function startRouter(opts: RouterOptions): Promise<RunningRouter> {
  const log = componentLogger('router');
  const db = openRouterStore(opts.dbPath);
  const inbox = new Inbox(db);
  const rooms = new RoomDirectory(db);
  const registry = new ShardRegistry(opts.deadShardAfterMs);
  const handed = new HandedDeliveries(db);
  const { org } = opts;

  let agents!: AgentMatrix;
  const notStaffed = new NotStaffed({ db, org, live: opts.live, send: (agentId, roomId, content, txnId) =>
    agents.send(agentId, roomId, content, txnId) });
  let provisioner!: UserProvisioner;
  let admin!: AdminRoom;
  let bridge!: Bridge;
  const eventRouter = new EventRouter({
    org,
    rooms,
    async fetchJoinedMembers(roomId, asAgent) {
      try {
        await provisioner.ensure(asAgent);
        return await bridge.getIntent(asAgent).matrixClient.getJoinedRoomMembers(roomId);
      } catch (err) {
        log.warn({ roomId, err: (err as Error).message }, 'could not read room members');
        return undefined;
      }
    },
    async fetchEventSender(roomId, eventId, asAgent) {
      try {
        const ev = await bridge.getIntent(asAgent).matrixClient.getEvent(roomId, eventId);
        return typeof ev?.sender === 'string' ? ev.sender : undefined;
      } catch {
        return undefined;
      }
    },
  });

  bridge = await createBridge({
    homeserverUrl: opts.homeserverUrl,
    domain: org.domain,
    registration: opts.registration,
    onEvent: (request) => {
      const event = request.getData() as unknown as RoomEvent;
      admin.handle(event)
        .then((handled) => (handled ? [] : eventRouter.route(event)))
        .then((d) => request.resolve(d), (e) => request.reject(e));
    },
    onUserQuery: async (userId) => {
      // Humans and strangers do not exist as far as the appservice is concerned: it never creates or speaks for them.
      if (!org.isAgent(userId)) throw new AppserviceHttpError({ errcode: 'M_NOT_FOUND', error: 'not an employee of this fleet' }, 404);
      await provisioner.ensure(userId);
      log.info({ userId }, 'provisioned on user query');
    },
  });
  provisioner = new UserProvisioner(bridge, org, db);
  agents = new AgentMatrix(bridge, provisioner);
  admin = new AdminRoom({
    bridge, org, log: log.child({ component: 'admin' }),
    ctx: {
      org,
      shards: () => shardStatus(registry, handed),
      inbox: () => inbox.counts(),
      ...(opts.scaleShards ? { scale: opts.scaleShards } : {}),
      usage: () => usageAcrossShards(registry.list().map((s) => s.url)),
    },
  });

  // Route a batch in order, then hand each shard its share in one request. An event is done only when every shard
  // it concerns has stored its deliveries; otherwise the whole event is retried (shards drop repeats by delivery id).
  const processBatch = async (items: InboxItem[]) => {
    const failed = new Map<number, string>();
    const byShard = new Map<string, Array<{ seq: number; delivery: Delivery }>>();
    const placement = registry.current();
    for (const item of items) {
      try {
        const routed = ((await bridgeOnEvent(item.event)) ?? []) as Delivery[];
        const deliveries = await notStaffed.filter(routed);
        for (const delivery of deliveries) {
          const shard = placement.shardFor(delivery.agentId);
          if (!shard) failed.set(item.seq, 'no live shard');
          else byShard.set(shard, [...(byShard.get(shard) ?? []), { seq: item.seq, delivery }]);
        }
      } catch (err) {
        failed.set(item.seq, `routing failed: ${(err as Error).message}`);
      }
    }
    await Promise.all([...byShard].map(async ([shardId, work]) => {
      const ready = work.filter((w) => !failed.has(w.seq));
      if (ready.length === 0) return;
      // Recorded before sending: a fast shard may report a delivery finished before its 200 reaches us.
      handed.record(shardId, ready);
      try {
        await deliverToShard(registry.urlOf(shardId)!, opts.shardSecret, ready.map((w) => w.delivery));
      } catch (err) {
        handed.complete(ready.map((w) => w.delivery.id));
        for (const w of ready) failed.set(w.seq, (err as Error).message);
      }
    }));
    return {
      done: items.map((i) => i.seq).filter((seq) => !failed.has(seq)),
      failed: [...failed].map(([seq, error]) => ({ seq, error })),
    };
  };

  // Bridge.onEvent runs the bridge's own checks and our controller, and returns what the controller resolved.
  // It is typed private but documented as returning the request's promise; it is how we await routing per event.
  const bridgeOnEvent = (event: RoomEvent) => (bridge as unknown as { onEvent(e: RoomEvent): Promise<unknown> }).onEvent(event);

  // Work a dead shard accepted but never finished goes to the agents' new shards, oldest first, before new work.
  const redeliverOrphans = async () => {
    const placement = registry.current();
    const orphans = handed.orphans(new Set(placement.shardIds));
    if (orphans.length === 0) return;
    const byShard = new Map<string, typeof orphans>();
    for (const o of orphans) {
      const shard = placement.shardFor(o.delivery.agentId);
      if (shard) byShard.set(shard, [...(byShard.get(shard) ?? []), o]);
    }
    for (const [shardId, work] of byShard) {
      handed.record(shardId, work);
      try {
        await deliverToShard(registry.urlOf(shardId)!, opts.shardSecret, work.map((w) => w.delivery));
      } catch (err) {
        for (const w of work) handed.record(w.shardId, [w]); // still orphaned: tried again on the next pass
        throw err;
      }
      log.info({ shardId, deliveries: work.length }, 'handed unfinished work of a lost shard to its new shard');
    }
  };

  const dispatcher = new Dispatcher({ inbox, processBatch, log, beforeBatch: redeliverOrphans });
  const listener = new DurableAppService({ homeserverToken: opts.registration.hsToken, inbox, onAccepted: () => dispatcher.kick(), log });
  installInternalApi(listener, registry, opts.shardSecret, inbox, handed, opts);
  listener.installErrorHandler();
  registry.on('change', () => dispatcher.kick());

  await bridge.listen(opts.port, opts.host, 511, listener as unknown as AppService);
  dispatcher.start();

  return {
    port: opts.port,
    registry,
    inbox,
    bridge,
    verifyLink: () => pingHomeserver({ homeserverUrl: opts.homeserverUrl, appserviceId: opts.registration.id, asToken: opts.registration.asToken, log }),
    async close() {
      await dispatcher.stop();
      registry.close();
      await bridge.close();
      db.close();
    },
  };
}

function installInternalApi(listener: DurableAppService, registry: ShardRegistry, secret: string, inbox: Inbox, handed: HandedDeliveries,
  opts: Pick<RouterOptions, 'scaleShards'>): void {
  const app = listener.expressApp;
  const auth = (req: Request, res: Response): boolean => {
    if (bearerMatches(req.headers.authorization, secret)) return true;
    res.status(403).send({ errcode: 'M_FORBIDDEN', error: 'wrong shard secret' });
    return false;
  };
  app.post(HEARTBEAT_PATH, (req: Request, res: Response) => {
    if (!auth(req, res)) return;
    const a = req.body as Partial<ShardAnnouncement>;
    if (typeof a?.shardId !== 'string' || typeof a.url !== 'string' || typeof a.startedAt !== 'number') {
      res.status(400).send({ errcode: 'M_BAD_JSON', error: 'expected {shardId, url, startedAt}' });
      return;
    }
    registry.heartbeat({ shardId: a.shardId, url: a.url, startedAt: a.startedAt });
    res.send({ ok: true });
  });
  app.post(COMPLETIONS_PATH, (req: Request, res: Response) => {
    if (!auth(req, res)) return;
    const ids = (req.body as { ids?: unknown })?.ids;
    if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string')) {
      res.status(400).send({ errcode: 'M_BAD_JSON', error: 'expected {shardId, ids: [string]}' });
      return;
    }
    handed.complete(ids);
    res.send({ ok: true });
  });
  app.post(SCALE_PATH, async (req: Request, res: Response) => {
    if (!auth(req, res)) return;
    const count = (req.body as { count?: unknown })?.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
      res.status(400).send({ errcode: 'M_BAD_JSON', error: 'expected {count: 1..1000}' });
      return;
    }
    if (!opts.scaleShards) {
      res.status(501).send({ errcode: 'M_UNRECOGNIZED', error: 'this router does not manage its shards (shards.driver)' });
      return;
    }
    try {
      await opts.scaleShards(count);
      res.send({ ok: true, shards: registry.list().map((s) => s.shardId) });
    } catch (err) {
      res.status(500).send({ errcode: 'M_UNKNOWN', error: (err as Error).message });
    }
  });
  app.delete(`${HEARTBEAT_PATH}/:shardId`, (req: Request, res: Response) => {
    if (!auth(req, res)) return;
    registry.remove(String(req.params.shardId));
    res.send({ ok: true });
  });
  app.get('/healthz', (_req: Request, res: Response) => {
    res.send({ ok: true, inbox: inbox.counts(), shards: shardStatus(registry, handed) });
  });
}

type UsageRow = { agentId: string; model: string; inputTokens: number; outputTokens: number; costUsd: number };

/** Each shard keeps its own usage table; the admin view merges their top spenders. */
async function usageAcrossShards(urls: string[]): Promise<UsageRow[]> {
  const rows = await Promise.all(urls.map(async (url) => {
    try {
      const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(3000) });
      return ((await res.json()) as { topUsage?: UsageRow[] }).topUsage ?? [];
    } catch {
      return [];
    }
  }));
  return rows.flat().sort((a, b) => b.costUsd - a.costUsd || (b.inputTokens + b.outputTokens) - (a.inputTokens + a.outputTokens));
}

/** Live shards with how many deliveries each holds unfinished (healthz, admin status). */
function shardStatus(registry: ShardRegistry, handed: HandedDeliveries): Array<{ shardId: string; url: string; unfinished: number }> {
  const working = handed.countsByShard();
  return registry.list().map((s) => ({ shardId: s.shardId, url: s.url, unfinished: working[s.shardId] ?? 0 }));
}
