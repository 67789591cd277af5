import type { AppService, Bridge } from 'matrix-appservice-bridge';
import { AppserviceHttpError } from 'matrix-appservice-bridge';
import type { OrgDirectory } from '../org/directory.ts';
import { componentLogger } from '../log.ts';
import { createBridge } from '../matrix/bridge.ts';
import { httpStatusOf } from '../matrix/errors.ts';
import { NOT_AN_EMPLOYEE } from '../matrix/library-logs.ts';
import { UserProvisioner } from '../matrix/provisioning.ts';
import { AgentMatrix } from '../matrix/agent-actions.ts';
import { AdminRoom } from '../admin/admin-room.ts';
import { AuditLog } from '../admin/audit.ts';
import { BotDirectChats, botMatrix } from '../admin/bot-dm.ts';
import { broadcaster } from '../admin/bot.ts';
import { runAdminCommand } from '../admin/commands.ts';
import { OrgReloader, rollingRestart, swappableOrg, type OrgSnapshot } from '../admin/reload.ts';
import { shardToken, type Delivery } from '../protocol/wire.ts';
import { DurableAppService } from './appservice-listener.ts';
import { catchUpAfterJoin } from './catch-up.ts';
import { OutageCatchUp } from './outage-catch-up.ts';
import { Claims } from './claims.ts';
import { OperatorControls, recallUnstarted, watchDrains } from './controls.ts';
import { Dispatcher } from './dispatcher.ts';
import { createFleetView, fetchShardStatus } from './fleet-view-source.ts';
import { startRouterAutoscaler } from './autoscale-load.ts';
import type { AutoscaleConfig } from './autoscaler.ts';
import type { FleetView } from './fleet-view.ts';
import { Handover } from './handover.ts';
import { keepLinkAlive, pingHomeserver, type PingResult } from './homeserver-ping.ts';
import { trackRouter } from '../metrics/metrics.ts';
import { Inbox, type InboxItem } from './inbox.ts';
import { installInternalApi } from './internal-api.ts';
import type { RoomEvent, RoutingLimits } from './mentions.ts';
import { NotStaffed } from './not-staffed.ts';
import { routerBudgets, type Budgets, type BudgetsConfig } from '../budget/index.ts';
import { routerHeartbeat, type HeartbeatConfig, type HeartbeatScheduler } from '../heartbeat/index.ts';
import { Outbox } from './outbox.ts';
import type { RouterRegistration } from '../matrix/registration.ts';
import { RetryableError } from './retryable.ts';
import { RoomDirectory } from './rooms.ts';
import { LazyRooms } from './lazy-rooms.ts';
import { EventRouter } from './route-event.ts';
import { ShardRegistry } from './shard-registry.ts';
import { openRouterStore } from './store.ts';
import { installTasksApi } from './tasks-api.ts';
import { installHumanQuotaApi } from './human-quota-api.ts';
import { DEFAULT_MESSAGES_TO_HUMAN_PER_DAY } from '../human-quota/protocol.ts';
import { startTasks, type TaskService } from '../tasks/index.ts';
import { taskRef } from '../tasks/model.ts';

export interface RouterOptions {
  org: OrgDirectory;
  registration: RouterRegistration;
  homeserverUrl: string;
  /** The fleet secret: each shard's token is derived from it (protocol.ts shardToken). */
  shardSecret: string;
  dbPath: string;
  host: string;
  port: number;
  deadShardAfterMs: number;
  /** How often shards heartbeat; sets the start-up grace before anything counts as orphaned. Default 2000. */
  heartbeatMs?: number;
  /** How long a shard's claim on an agent's turn outlives its last heartbeat (GC pauses, EFS stalls). Default 60 s. */
  claimTtlMs?: number;
  /** Events that cannot be routed (homeserver down) are retried until this old, then parked. Default 24 h. */
  retryHorizonMs?: number;
  /** Hosts shards may announce besides their own address. */
  allowedShardHosts?: readonly string[];
  /** Fan-out caps of mention detection (config routing). */
  routing?: RoutingLimits;
  /** Rooms with more agents than this were provisioned for lazy joins (config provisioning.eagerJoinMaxMembers). */
  eagerJoinMaxMembers?: number;
  /** Employees with a live agent; a message to anyone else gets a "not staffed" notice. Default: everyone. */
  live?: ReadonlySet<string>;
  /** Whatever runs the shards (local processes, ECS); lets `./fleet scale N` change their number live. */
  scaleShards?: (count: number) => Promise<void>;
  /** config org.admins: humans besides the CEO who may change the fleet from #fleet-admin. */
  admins?: readonly string[];
  /** config budgets: monthly limits per agent, department and fleet (budget/). Default: none. */
  budgets?: BudgetsConfig;
  /** config heartbeat (heartbeat/): opt-in beats for agents with open tasks; heartbeatClock simulates time (tests). */
  heartbeat?: HeartbeatConfig;
  heartbeatClock?: () => number;
  /** config agents.maxMessagesToHumanPerDay: counted here for the whole fleet (router/human-quota-api.ts). Default 20. */
  maxMessagesToHumanPerDay?: number;
  /** config shards.autoscale: with `enabled` and scaleShards, the router sets the shard count from load. */
  autoscale?: AutoscaleConfig;
  /** Stops one shard whatever its index (ShardDriver.stop): how a drained shard is stopped. */
  stopShard?: (shardId: string) => Promise<void>;
  /** Restarts one shard under the same id (ShardDriver.restart): `restart <shard>`, and how shards learn a reload. */
  restartShard?: (shardId: string) => Promise<void>;
  /** What `reload` needs: read the org and config again, and provision a new org on the homeserver. */
  reload?: {
    read(): OrgSnapshot | Promise<OrgSnapshot>;
    provision(next: OrgSnapshot): Promise<string>;
  };
}

export interface RunningRouter {
  port: number;
  registry: ShardRegistry;
  inbox: Inbox;
  outbox: Outbox;
  bridge: Bridge;
  /** The fleet as the dashboard and admin room see it. */
  view: FleetView;
  /** The org directory the router uses; a `reload confirm` switches what it answers (hand it to the web too). */
  org: OrgDirectory;
  /** Monthly budgets: the spend ledger, limits and gate. */
  budgets: Budgets;
  /** The opt-in heartbeat (tests tick it on a simulated clock). */
  heartbeat: HeartbeatScheduler;
  /** Tasks (src/tasks): the admin room, the dashboard and the shards' tasks tool all use this one service. */
  tasks: TaskService;
  /** Asks the homeserver to ping us (call once the homeserver can reach the router's url). */
  verifyLink(): Promise<PingResult>;
  close(): Promise<void>;
}

/** How often the router pings the homeserver once the link is verified (keepLinkAlive: cuts Synapse's back-off short). */
const LINK_PING_MS = 15_000;

/**
 * The appservice: durable inbox → routing (one event at a time, failures isolated per event) → outbox → hand-over
 * to the agents' shards, with claims so one agent works on one shard at a time.
 */
export async function startRouter(opts: RouterOptions): Promise<RunningRouter> {
  const log = componentLogger('router');
  const db = openRouterStore(opts.dbPath);
  const inbox = new Inbox(db);
  const outbox = new Outbox(db);
  const rooms = new RoomDirectory(db);
  const registry = new ShardRegistry(opts.deadShardAfterMs);
  const claims = new Claims(db, outbox, registry, opts.claimTtlMs ?? 60_000);
  const tokenFor = (shardId: string) => shardToken(opts.shardSecret, shardId);
  // One directory object for every part of the router; `reload confirm` swaps what it answers (admin/reload.ts).
  const orgVersion = swappableOrg(opts.org);
  const { org } = orgVersion;
  /** Hires of a reload whose shards have not restarted with the new org yet: their deliveries wait in the outbox. */
  const awaitingShards = new Set<string>();
  let running: OrgSnapshot = { org: opts.org, live: opts.live ?? new Set(opts.org.agents().map((p) => p.matrixId)), admins: opts.admins ?? [] };
  // Operator state (#fleet-admin): paused agents, who is staffed, draining shards; `live` is shared, changed in place.
  const controls = new OperatorControls({
    db, agents: org.agents().map((p) => p.matrixId), ...(opts.live ? { baseLive: opts.live } : {}),
    onDraining: (ids) => registry.exclude(ids),
    onResumed: () => handover.kick(),
    onPaused: (paused) => { recallUnstarted(outbox, claims, paused); },
  });
  registry.exclude(controls.draining());

  let agents!: AgentMatrix;
  const notStaffed = new NotStaffed({ db, org, live: controls.live, send: (agentId, roomId, content, txnId) =>
    agents.send(agentId, roomId, content, txnId) });
  let provisioner!: UserProvisioner;
  let bridge!: Bridge;
  const lazyRooms = new LazyRooms({
    org, log: log.child({ component: 'lazy-rooms' }),
    ...(opts.eagerJoinMaxMembers !== undefined ? { eagerJoinMaxMembers: opts.eagerJoinMaxMembers } : {}),
    resolveAlias: async (alias) => {
      try {
        return (await bridge.getIntent().matrixClient.resolveRoom(`#${alias}:${org.domain}`)) ?? undefined;
      } catch (err) {
        if (httpStatusOf(err) === 404) return undefined;
        throw new RetryableError(`could not resolve #${alias}: ${(err as Error).message}`);
      }
    },
  });
  const eventRouter = new EventRouter({
    lazyRooms,
    org,
    rooms,
    ...(opts.routing ? { limits: opts.routing } : {}),
    // Routing that cannot read membership waits (the event is retried) instead of routing to nobody.
    async fetchJoinedMembers(roomId, asAgent) {
      try {
        await provisioner.ensure(asAgent);
        return await bridge.getIntent(asAgent).matrixClient.getJoinedRoomMembers(roomId);
      } catch (err) {
        const status = httpStatusOf(err);
        if (status === 403 || status === 404) return undefined; // not in the room: its members are not ours to read
        throw new RetryableError(`could not read the members of ${roomId}: ${(err as Error).message}`);
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
      eventRouter.route(event).then((d) => request.resolve(d), (e) => request.reject(e));
    },
    onUserQuery: async (userId) => {
      // Humans and strangers do not exist as far as the appservice is concerned: it never creates or speaks for them.
      if (!org.isAgent(userId)) throw new AppserviceHttpError({ errcode: 'M_NOT_FOUND', error: NOT_AN_EMPLOYEE }, 404);
      await provisioner.ensure(userId);
      log.info({ userId }, 'provisioned on user query');
    },
  });
  provisioner = new UserProvisioner(bridge, org, db);
  agents = new AgentMatrix(bridge, provisioner);
  const tasks = startTasks({ db, org, bridge, agents, provisioner, botId: `@${opts.registration.senderLocalpart}:${org.domain}`, log: log.child({ component: 'tasks' }) });
  const heartbeat = routerHeartbeat({
    ...(opts.heartbeat ? { config: opts.heartbeat } : {}), ...(opts.heartbeatClock ? { now: opts.heartbeatClock } : {}),
    db, bridge, provisioner, org, botId: `@${opts.registration.senderLocalpart}:${org.domain}`, log: log.child({ component: 'heartbeat' }),
    tasks: { openTasksOf: (id) => tasks.service.openTasksOf(id),
      describeOpenTasks: (id) => tasks.service.list(id, { mine: true }, { open: true, limit: 10 }).map((t) => `${taskRef(t.id)} ${t.title} (${t.status})`) },
    isActive: (id) => controls.isLive(id) && !controls.isPaused(id), overBudget: (id) => budgets.overBudget(id) !== undefined,
  });
  const budgets = routerBudgets({ db, org, ...(opts.budgets ? { config: opts.budgets } : {}), bridge, log: log.child({ component: 'budget' }),
    sendAsAgent: (agentId, roomId, content, txnId) => agents.send(agentId, roomId, content, txnId) });

  const handover = new Handover({
    outbox, claims, registry, tokenFor, log: log.child({ component: 'handover' }),
    startGraceMs: 2 * (opts.heartbeatMs ?? 2000) + 1000,
    isPaused: (agentId) => controls.isPaused(agentId) || awaitingShards.has(agentId),
  });
  const view = createFleetView({ org, registry, outbox, inbox, tokenFor, live: controls.live });
  const autoscaler = opts.autoscale?.enabled && opts.scaleShards ? startRouterAutoscaler({
    config: opts.autoscale, scale: opts.scaleShards, log: log.child({ component: 'autoscaler' }), db, registry, claimTtlMs: claims.ttlMs,
    draining: () => controls.draining(), status: (id, url) => fetchShardStatus(url, tokenFor(id)),
  }) : undefined;
  // An operator's scale goes through the autoscaler (when on), which lets it hold for its cooldowns.
  const scaleByHand = autoscaler ? autoscaler.scaleByHand : opts.scaleShards;
  // A driver stops any shard; a router given only scaleShards (embedded, tests) can stop just the highest one.
  const stopShard = opts.stopShard ? async (shardId: string) => {
    await opts.stopShard!(shardId);
    return true;
  } : opts.scaleShards && (async (shardId: string) => {
    const top = registry.list().length - 1;
    if (shardId !== `shard-${top}`) return false;
    await opts.scaleShards!(top);
    return true;
  });
  const stopDrains = watchDrains({
    controls, log: log.child({ component: 'drain' }), unfinished: (id) => outbox.countsByHolder()[id] ?? 0,
    isLive: (id) => registry.isLive(id), ...(stopShard ? { stop: stopShard } : {}),
  });
  const adminCtx = {
    tasks: tasks.service,
    org, view, controls, audit: new AuditLog(db),
    parked: (limit: number) => inbox.parked(limit),
    replay: (target: number | 'all') => {
      const n = inbox.replay(target);
      dispatcher.kick();
      return n;
    },
    waiting: (agentId: string) => outbox.open().filter((d) => d.agentId === agentId).length,
    ...(scaleByHand ? { scale: scaleByHand } : {}),
    ...(autoscaler ? { autoscale: () => autoscaler.status() } : {}),
    canStop: (shardId: string) => opts.stopShard !== undefined || (stopShard !== undefined && shardId === `shard-${registry.list().length - 1}`),
    ...(opts.restartShard ? { restart: opts.restartShard } : {}),
    ...(opts.reload ? { reload: reloader(opts.reload) } : {}),
    broadcast: broadcaster(bridge, org.domain),
    budgets,
  };
  const admin = new AdminRoom({ bridge, org, log: log.child({ component: 'admin' }), ctx: adminCtx, ...(opts.admins ? { admins: opts.admins } : {}) });
  // Direct chats with the bot answer the tasks commands too; task notices for a person go to the one they opened.
  const botId = `@${opts.registration.senderLocalpart}:${org.domain}`;
  const pairOf = (human: string) => [botId, human].sort() as [string, string];
  const botChats = new BotDirectChats({ botId, org, ctx: adminCtx, db, matrix: botMatrix(bridge), log: log.child({ component: 'bot-dm' }),
    taskRooms: { get: (human) => tasks.service.store.dmRoom(...pairOf(human)), set: (human, roomId) => tasks.service.store.saveDmRoom(...pairOf(human), roomId),
      forget: (human, roomId) => tasks.service.store.forgetDmRoom(...pairOf(human), roomId) } });

  /** Shards read the org when they start: after a reload they are restarted one by one (claims keep it safe). */
  function reloader(source: NonNullable<RouterOptions['reload']>): OrgReloader {
    const agentIds = (o: OrgDirectory) => o.agents().map((p) => p.matrixId);
    return new OrgReloader({
      read: () => source.read(),
      provision: (next) => source.provision(next),
      current: () => running,
      liveNow: () => controls.live,
      liveFor: (next) => controls.liveFor(agentIds(next.org), next.live),
      adopt(next) {
        orgVersion.swap(next.org);
        lazyRooms.reset();
        controls.rebase(agentIds(next.org), next.live);
        admin.setAdmins(next.admins);
        running = next;
        log.info({ people: next.org.size }, 'org reloaded');
      },
      ...(opts.restartShard ? { restartShards: (hires) => {
        const shardIds = registry.list().map((s) => s.shardId).sort();
        for (const id of hires) awaitingShards.add(id);
        void rollingRestart({ shardIds, restart: opts.restartShard!, startedAt: (id) => registry.list().find((s) => s.shardId === id)?.startedAt,
          log: log.child({ component: 'reload' }) }).finally(() => {
          for (const id of hires) awaitingShards.delete(id);
          handover.kick();
        });
        return `Restarting the ${shardIds.length} shard(s) one at a time so they read the new org; messages to the hires wait until the shards are back.`;
      } } : {}),
    });
  }

  // Bridge.onEvent runs the bridge's own checks and our controller, and returns what the controller resolved.
  // It is typed private but documented as returning the request's promise; it is how we await routing per event.
  const bridgeOnEvent = (event: RoomEvent) => (bridge as unknown as { onEvent(e: RoomEvent): Promise<unknown> }).onEvent(event);

  const outageCatchUp = new OutageCatchUp({
    inbox, joined: (roomId) => rooms.present(roomId), isAgent: (id) => org.isAgent(id), log,
    readMessages: async (roomId, asUser, limit) => ((await bridge.getIntent(asUser).matrixClient.doRequest('GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`, { dir: 'b', limit: String(limit) })) as { chunk?: RoomEvent[] }).chunk ?? [],
  });

  /** Routes one event; its deliveries land in the outbox in the same transaction that marks the event done. */
  const processEvent = async (item: InboxItem) => {
    if (!item.event.content || typeof item.event.content !== 'object') return;
    outageCatchUp.note(item.event);
    if (admin.handle(item.event) || botChats.handle(item.event)) return;
    const routed = ((await bridgeOnEvent(item.event)) ?? []) as Delivery[];
    const deliveries = budgets.filter(await notStaffed.filter(routed));
    if (deliveries.length > 0) {
      outbox.add(item.seq, deliveries);
      handover.kick();
    }
  };

  const dispatcher = new Dispatcher({ inbox, processEvent, log, ...(opts.retryHorizonMs ? { retryHorizonMs: opts.retryHorizonMs } : {}) });
  const listener = new DurableAppService({ homeserverToken: opts.registration.hsToken, inbox, onAccepted: () => dispatcher.kick(), log });
  installInternalApi(listener.expressApp as never, {
    registry, claims, outbox, fleetSecret: opts.shardSecret, log, onChange: () => handover.kick(),
    onJoined: ({ agentId, roomId, inviteEventId }) => {
      catchUpAfterJoin({ bridge, inbox, agentId, roomId, inviteEventId, log })
        .then((n) => { if (n > 0) dispatcher.kick(); })
        .catch((err: Error) => log.warn({ roomId, agentId, err: err.message }, 'could not catch up on a room after a join'));
    },
    ...(scaleByHand ? { scaleShards: scaleByHand } : {}),
    runAdminCommand: (command) => runAdminCommand(command, adminCtx, { id: 'cli', role: 'admin' }),
    claimFlags: (deliveryId) => budgets.claimFlags(outbox.payloads([deliveryId])[0]),
    onUsage: (shardId, usage) => budgets.record(shardId, usage),
    ...(opts.allowedShardHosts ? { extraShardHosts: opts.allowedShardHosts } : {}),
  });
  const claimHolder = db.prepare<[string], { shard_id: string }>('SELECT shard_id FROM claims WHERE agent_id = ?');
  installTasksApi(listener.expressApp as never, { service: tasks.service, org, fleetSecret: opts.shardSecret, log: log.child({ component: 'tasks' }),
    actsFor: (shardId, agentId) => claimHolder.get(agentId)?.shard_id === shardId });
  installHumanQuotaApi(listener.expressApp as never, { db, org, fleetSecret: opts.shardSecret, log: log.child({ component: 'human-quota' }),
    perDay: opts.maxMessagesToHumanPerDay ?? DEFAULT_MESSAGES_TO_HUMAN_PER_DAY });
  listener.installErrorHandler();
  registry.on('change', () => handover.kick());
  // A silent shard may be paused (its claims live on) or dead. A refused connection means no process listens
  // there any more: its claims end now instead of when they expire, and its turns move on at once.
  registry.on('silent', (shard) => {
    void processGone(shard.url).then((gone) => {
      if (!gone || registry.isLive(shard.shardId)) return;
      log.warn({ shardId: shard.shardId }, 'silent shard refuses connections: its process is gone; releasing its claims');
      claims.releaseProcess(shard.shardId, shard.startedAt);
      handover.kick();
    });
  });
  // Retention: what dedupe needs is kept for a week, nothing of what people said (inbox.ts).
  const prune = () => {
    try {
      inbox.prune();
      notStaffed.prune();
      budgets.prune();
      budgets.sweep();
      rooms.pruneSenders(7 * 24 * 3600_000);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'inbox retention failed');
    }
  };
  prune();
  const pruneTimer = setInterval(prune, 3600_000);
  pruneTimer.unref();

  const oldestPending = db.prepare(`SELECT MIN(received_at) AS at FROM inbox WHERE state = 'pending'`);
  trackRouter({ inbox: () => inbox.counts(), outboxByHolder: () => outbox.countsByHolder(), liveShards: () => registry.list().length,
    oldestPendingAt: () => (oldestPending.get() as { at: number | null }).at ?? undefined });

  await bridge.listen(opts.port, opts.host, 511, listener as unknown as AppService);
  dispatcher.start();

  let stopLinkPings: (() => void) | undefined;
  return {
    port: opts.port,
    registry,
    inbox,
    outbox,
    bridge,
    view,
    org,
    budgets,
    heartbeat: heartbeat.scheduler,
    tasks: tasks.service,
    async verifyLink() {
      const ping = { homeserverUrl: opts.homeserverUrl, appserviceId: opts.registration.id, asToken: opts.registration.asToken, log };
      const result = await pingHomeserver(ping);
      // A homeserver without the ping (before spec v1.7) would only fail every ping: nothing to keep warm there.
      if (result.errcode !== 'M_UNRECOGNIZED') {
        stopLinkPings ??= keepLinkAlive({ ...ping, everyMs: LINK_PING_MS, onBack: () => {
          void outageCatchUp.run().then((n) => { if (n > 0) dispatcher.kick(); });
        } });
      }
      return result;
    },
    async close() {
      clearInterval(pruneTimer);
      stopLinkPings?.();
      autoscaler?.stop();
      stopDrains();
      trackRouter(undefined);
      await dispatcher.stop();
      await admin.idle();
      await botChats.idle();
      await notStaffed.idle();
      await budgets.idle();
      await handover.close();
      heartbeat.stop();
      await tasks.close();
      registry.close();
      await bridge.close();
      db.close();
    },
  };
}

/** True only when nothing listens at the shard's address (a paused process still accepts connections). */
async function processGone(url: string): Promise<boolean> {
  try {
    await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(3000) });
    return false;
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}
