import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { join } from 'node:path';
import { startRouter, type RouterOptions } from '../../router/router.ts';
import type { LoadedRegistration } from '../../matrix/registration.ts';
import type { OrgDirectory } from '../../org/directory.ts';
import { ConfigError } from '../../config/load.ts';
import { EcsShardDriver } from '../../shard/drivers/ecs.ts';
import { startShard } from '../../shard/shard.ts';
import { shardToken } from '../../protocol/wire.ts';
import { LocalShardDriver } from '../../shard/drivers/local.ts';
import { componentLogger } from '../../log.ts';
import { fleetContext, orgFor, type FleetContext } from '../context.ts';
import { ensureRegistration, shardRegistration, shardSecretFor, shardTokenFor } from '../credentials.ts';
import { startHomeserver } from '../homeserver.ts';
import { costEstimator, createRuntime, startModelService } from '../model.ts';
import { liveAgents, provision, summary } from './provision.ts';
import { startCommandCenter } from '../../web/command-center.ts';
import { stopOnSignal } from '../shutdown.ts';

const log = componentLogger('cli');

/** In production the router keeps the shard tasks running (ECS); locally `up` runs them as child processes. */
function startShardDriver(ctx: FleetContext): { close(): void } & Partial<Pick<EcsShardDriver, 'scale' | 'stop' | 'restart'>> {
  const { shards, router } = ctx.config;
  if (shards.driver !== 'ecs') return { close() {} };
  let wanted = shards.count;
  if (!shards.ecs) throw new ConfigError(ctx.file, ['shards.ecs: required when shards.driver is ecs (cluster, taskDefinition, subnets, securityGroups)']);
  const secret = shardSecretFor(ctx);
  const driver = new EcsShardDriver({ ...shards.ecs, routerUrl: router.url, tokenFor: (id) => shardToken(secret, id) });
  const keep = async () => {
    try {
      await driver.scale(wanted);
      await driver.reconcile();
    } catch (err) {
      // Logged, not fatal: a crashing router would make ECS roll back deployments in a loop.
      log.error({ err: (err as Error).message }, 'could not reconcile shard tasks; retrying');
    }
  };
  void keep();
  const timer = setInterval(keep, 30_000);
  // Shards outlive a router restart (redeploys), so closing the router does not stop them.
  return {
    close: () => clearInterval(timer),
    scale: async (count) => {
      wanted = count;
      await driver.scale(count);
    },
    stop: (shardId) => driver.stop(shardId),
    // The replacement is launched by the next reconcile, once ECS reports the old task STOPPED.
    restart: (shardId) => driver.restart(shardId),
  };
}

/** What `reload` in #fleet-admin re-reads (config, org.file or the generator settings) and how it provisions. */
function reloadFrom(registration: LoadedRegistration, homeserverUrl: string): NonNullable<RouterOptions['reload']> {
  return {
    read() {
      const ctx = fleetContext();
      const org = orgFor(ctx.config, ctx.root);
      return { org, live: liveAgents(ctx, org), admins: ctx.config.org.admins };
    },
    async provision(next) {
      const ctx = fleetContext();
      // Rewrites a generated registration's user namespace for the hires; the homeserver has to load it (README).
      ensureRegistration(ctx, next.org);
      return summary(await provision(ctx, next.org, registration, homeserverUrl));
    },
  };
}

export function registerRunCommands(program: Command): void {
  program.command('up')
    .description('run the fleet: local homeserver (unless one is configured), router and shards')
    .option('--shards <n>', 'number of shard processes', (v) => Number.parseInt(v, 10))
    .action(async (opts: { shards?: number }) => {
      const ctx = fleetContext();
      const { config } = ctx;
      const org = orgFor(config, ctx.root);
      const registration = ensureRegistration(ctx, org);
      const shardSecret = shardSecretFor(ctx);
      const hs = await startHomeserver(ctx, org);
      const model = await startModelService(ctx);
      const driver = new LocalShardDriver({
        cliPath: join(ctx.root, 'src/cli/main.ts'),
        basePort: config.shards.basePort,
        restart: true,
        tokenFor: (id) => shardToken(shardSecret, id),
        env: { ...process.env, FLEET_HOMESERVER__URL: hs.url, ...model.env },
      });
      const router = await startRouter({
        org, registration, homeserverUrl: hs.url, shardSecret,
        dbPath: join(ctx.dataDir, 'router.sqlite'),
        ...routerTuning(ctx),
        scaleShards: (count) => driver.scale(count),
        stopShard: (id) => driver.stop(id),
        restartShard: (id) => driver.restart(id),
        reload: reloadFrom(registration, hs.url),
        live: liveAgents(ctx, org),
        admins: ctx.config.org.admins,
      });
      const link = await router.verifyLink();
      if (!link.ok) console.error(`warning: the homeserver cannot reach the router: ${link.explanation}`);
      const web = config.web.enabled
        ? await startCommandCenter({ config, cacheDir: ctx.cacheDir, org: router.org, view: router.view, tasks: router.tasks, homeserverUrl: hs.url })
        : undefined;
      const shards = opts.shards ?? config.shards.count;
      await driver.scale(shards);
      await waitForShards(router.registry, shards);
      // DMs work before provisioning ends (users are created on the homeserver's query), so it runs behind the fleet.
      const provisioning = provisionInBackground(ctx, org, registration, hs.url);

      const sample = org.agents()[0]!;
      console.log([
        '',
        `Open Claw Fleet is up: ${org.size} people on ${config.domain}, ${shards} shard(s). DMs work now; provisioning continues in the background (progress below and on the dashboard overview).`,
        ...(web ? [`  Web chat:    ${web.url}/   (Open-Claw-Fleet-Command-Center; dashboard: ${web.url}/dashboard/)`] : []),
        `  Homeserver:  ${hs.url}   (server name ${config.domain}; Element or any Matrix client works too)`,
        `  Log in as:   ${hs.ceo.userId}${hs.ceo.password ? `   password: ${hs.ceo.password}   (shown once)` : ''}`,
        `  Then start a chat with any employee, e.g. ${sample.matrixId} (${sample.name}, ${sample.title}).`,
        `  Directory:   ./fleet org list`,
        '  Ctrl-C stops everything.',
        '',
      ].join('\n'));

      await stopOnSignal(async () => {
        console.log('stopping… (shards drain first; Ctrl-C again does not skip the homeserver\'s stop)');
        // Each step is tried even if one before it fails: the local Synapse must never be left running.
        provisioning.stop();
        for (const step of [() => web?.close(), () => driver.stopAll(), () => router.close(), () => model.close(), () => hs.stop()]) {
          await Promise.resolve().then(step).catch((err: Error) => log.error({ err: err.message }, 'shutdown step failed'));
        }
      });
    });

  program.command('router')
    .description('run only the router (production: the homeserver and shards are elsewhere)')
    .action(async () => {
      const ctx = fleetContext();
      const { config } = ctx;
      if (!config.homeserver.url) throw new Error('homeserver.url (FLEET_HOMESERVER__URL) must be set to run the router alone');
      const shards = startShardDriver(ctx);
      const org = orgFor(config, ctx.root);
      const registration = ensureRegistration(ctx, org);
      const router = await startRouter({
        org, registration, homeserverUrl: config.homeserver.url,
        shardSecret: shardSecretFor(ctx), dbPath: join(ctx.dataDir, 'router.sqlite'),
        ...routerTuning(ctx),
        ...(shards.scale ? { scaleShards: shards.scale } : {}),
        ...(shards.stop ? { stopShard: shards.stop } : {}),
        ...(shards.restart ? { restartShard: shards.restart } : {}),
        reload: reloadFrom(registration, config.homeserver.url),
        live: liveAgents(ctx, org),
        admins: ctx.config.org.admins,
      });
      await router.verifyLink();
      // Production serves the command center from the router's process too (compose, the private load balancer).
      const web = config.web.enabled
        ? await startCommandCenter({ config, cacheDir: ctx.cacheDir, org: router.org, view: router.view, tasks: router.tasks, homeserverUrl: config.homeserver.url })
        : undefined;
      await stopOnSignal(async () => {
        shards.close();
        await web?.close();
        await router.close();
      });
    });

  program.command('shard')
    .description('run one shard worker (started by `up`, or as an ECS task)')
    .requiredOption('--id <id>', 'shard id (default: FLEET_SHARD_ID or SHARD_ID)', process.env.FLEET_SHARD_ID ?? process.env.SHARD_ID)
    .option('--port <port>', 'port for router deliveries (0: any)', (v) => Number.parseInt(v, 10))
    .action(async (opts: { id: string; port?: number }) => {
      const ctx = fleetContext();
      const { config } = ctx;
      if (!config.homeserver.url) throw new Error('homeserver.url (FLEET_HOMESERVER__URL) must be set for a shard');
      const org = orgFor(config, ctx.root);
      const shard = await startShard({
        shardId: opts.id, org, registration: shardRegistration(ctx, org), homeserverUrl: config.homeserver.url,
        routerUrl: config.router.url, shardToken: shardTokenFor(ctx, opts.id),
        dbPath: join(ctx.dataDir, 'shards', `${opts.id}.sqlite`),
        host: config.shards.host, port: opts.port ?? 0, heartbeatMs: config.shards.heartbeatMs,
        ...(config.shards.advertiseUrl ? { advertiseUrl: config.shards.advertiseUrl } : {}),
        ...createRuntime(ctx, org),
        limits: config.limits,
        maxHops: config.agents.maxHops,
        maxMessagesToHumanPerDay: config.agents.maxMessagesToHumanPerDay,
        costOf: costEstimator(ctx),
        drainMs: config.shards.drainMs, turnTimeoutMs: config.shards.turnTimeoutMs, retryHorizonMs: config.shards.retryHorizonMs,
        // A newer process of this shard id took over (ECS replacement): this one stops at once.
        onSuperseded: () => process.kill(process.pid, 'SIGTERM'),
      });
      await stopOnSignal(() => shard.close());
    });
}

/**
 * Provisioning behind a running fleet: its progress is the bar (terminal) or periodic log lines, and the dashboard's
 * status; its end is one console line. A failure is logged, never fatal: the fleet serves DMs meanwhile, and the
 * next `up` (or `./fleet provision`) resumes where it stopped.
 */
function provisionInBackground(ctx: FleetContext, org: OrgDirectory, registration: LoadedRegistration, homeserverUrl: string): { stop(): void } {
  let stopping = false;
  provision(ctx, org, registration, homeserverUrl).then((r) => {
    console.log(`Provisioning finished: ${summary(r)}.`);
  }, (err: Error) => {
    if (!stopping) log.error({ err: err.message }, 'provisioning stopped; the fleet keeps running, and the next up resumes it');
  });
  return { stop: () => { stopping = true; } };
}

/** The router's settings that come straight from config. */
function routerTuning(ctx: FleetContext) {
  const { router, shards, routing } = ctx.config;
  return {
    host: router.host, port: router.port, deadShardAfterMs: shards.deadAfterMs, heartbeatMs: shards.heartbeatMs,
    claimTtlMs: shards.claimTtlMs, allowedShardHosts: shards.allowedHosts, routing, autoscale: shards.autoscale,
    eagerJoinMaxMembers: ctx.config.provisioning.eagerJoinMaxMembers,
    budgets: ctx.config.budgets, heartbeat: ctx.config.heartbeat,
    maxMessagesToHumanPerDay: ctx.config.agents.maxMessagesToHumanPerDay,
  };
}

async function waitForShards(registry: { list(): unknown[] }, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (registry.list().length < count) {
    if (Date.now() > deadline) throw new Error(`only ${registry.list().length} of ${count} shards came up within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}
