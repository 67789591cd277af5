import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimpleAgentRuntime } from '../../src/agents/simple-runtime.ts';
import { OpenClawAgentRuntime } from '../../src/agents/openclaw/index.ts';
import type { AgentRuntime, AgentServices } from '../../src/agents/runtime.ts';
import { generateOrg } from '../../src/org/generator.ts';
import { OrgDirectory } from '../../src/org/directory.ts';
import { OpenAICompatibleProvider, startScriptedModelServer, type ScriptedModelServer } from '../../src/providers/index.ts';
import type { RouterRegistration } from '../../src/matrix/registration.ts';
import { startRouter, type RouterOptions, type RunningRouter } from '../../src/router/router.ts';
import { buildRegistration, toLoadedRegistration } from '../../src/matrix/registration.ts';
import { startShard, type RunningShard } from '../../src/shard/shard.ts';
import { LocalShardDriver } from '../../src/shard/drivers/local.ts';
import { shardToken } from '../../src/protocol/wire.ts';
import { testHomeserver, type TestHomeserver } from './homeserver.ts';
import { freePort } from './ports.ts';
import { until } from './wait.ts';

/** The human CEO of every test fleet; all integration files share one Synapse, hence one password. */
export const CEO = { name: 'Morgan Blake', localpart: 'morgan.blake', password: 'ceo-test-password-1' };

/** The generated org; `humans` (localparts) turns those employees into humans, as config org.humans does. */
export function testOrg(domain: string, humans: readonly string[] = []): OrgDirectory {
  return new OrgDirectory(generateOrg({ domain, ceo: CEO }).map((p) => (humans.includes(p.localpart) ? { ...p, human: true } : p)), domain);
}

export function testRegistration(hs: TestHomeserver): RouterRegistration {
  const r = hs.registration;
  return toLoadedRegistration(buildRegistration({ id: r.id, url: r.url, domain: hs.serverName, senderLocalpart: r.senderLocalpart,
    agents: testOrg(hs.serverName).agents().map((p) => p.localpart),
    asToken: r.asToken, hsToken: r.hsToken }), 'the test registration');
}

/** The production agent runtime (OpenClaw loop, workspaces under the fleet's data dir) on the scripted model server. */
export function openClawRuntime(org: OrgDirectory, dataDir: string, modelUrl: string): (services: AgentServices) => AgentRuntime {
  const provider = new OpenAICompatibleProvider({ baseUrl: modelUrl, model: 'scripted', stream: true, timeoutMs: 10_000, retries: 1 });
  return (services) => new OpenClawAgentRuntime({ org, dataDir, services, providerFor: () => provider });
}

export interface TestFleet {
  hs: TestHomeserver;
  org: OrgDirectory;
  router: RunningRouter;
  routerUrl: string;
  shards: RunningShard[];
  model: ScriptedModelServer;
  shardSecret: string;
  dataDir: string;
  startShard(id: string, runtime?: (services: AgentServices) => AgentRuntime): Promise<RunningShard>;
  /** Stops the router and starts a new one on the same port and database (shards keep running). */
  restartRouter(downMs?: number): Promise<void>;
  /** Environment for shard processes started through the CLI (`main.ts shard`), as `up` and ECS start them. */
  shardProcessEnv(): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * The fleet in-process against the test Synapse: scripted model server, router (attached behind the appservice
 * front the homeserver was given) and shards. Data in a fresh temp dir unless one is passed (restart tests).
 */
export interface TestFleetOptions {
  shards?: number;
  dataDir?: string;
  keepData?: boolean;
  runtime?: 'simple' | 'openclaw';
  deadShardAfterMs?: number;
  claimTtlMs?: number;
  /** Where in-process shards reach the homeserver (a cuttable link in outage tests). */
  shardHomeserverUrl?: string;
  /** Delay of every scripted model answer, to catch a turn in the middle. */
  modelLatencyMs?: number;
  /** Employees (localparts) who are humans in this fleet's org besides the CEO. */
  humans?: readonly string[];
  /** Router options a test sets itself (admins, a shard driver, reload). */
  router?: Pick<RouterOptions, 'admins' | 'scaleShards' | 'stopShard' | 'restartShard' | 'reload' | 'budgets' | 'heartbeat' | 'heartbeatClock' | 'eagerJoinMaxMembers' | 'maxMessagesToHumanPerDay'>;
  /** The org of the router and the shards; default the generated one (testOrg). */
  org?: OrgDirectory;
}

export async function startTestFleet(opts: TestFleetOptions = {}): Promise<TestFleet> {
  const hs = testHomeserver();
  const org = opts.org ?? testOrg(hs.serverName, opts.humans);
  const registration = testRegistration(hs);
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'fleet-test-'));
  const shardSecret = 'test-shard-secret-0123456789abcdef';
  const model = await startScriptedModelServer({ latencyMs: opts.modelLatencyMs ?? 0 });
  const port = await freePort();
  const routerUrl = `http://127.0.0.1:${port}`;
  const routerOptions = {
    org, registration, homeserverUrl: hs.url, shardSecret, dbPath: join(dataDir, 'router.sqlite'),
    host: '127.0.0.1', port, deadShardAfterMs: opts.deadShardAfterMs ?? 3000, heartbeatMs: 500,
    ...(opts.claimTtlMs ? { claimTtlMs: opts.claimTtlMs } : {}),
    ...opts.router,
  };
  const router = await startRouter(routerOptions);
  await hs.attachBackend(routerUrl);
  const shards: RunningShard[] = [];
  const fleet: TestFleet = {
    hs, org, router, routerUrl, shards, model, shardSecret, dataDir,
    shardProcessEnv: () => ({
      ...shardEnv({ homeserverUrl: hs.url, routerUrl, asToken: registration.asToken, appserviceId: registration.id, shardSecret, dataDir, modelUrl: model.url }),
      FLEET_HS_TOKEN: registration.hsToken,
    }),
    async restartRouter(downMs = 0) {
      await fleet.router.close();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      fleet.router = await startRouter(routerOptions);
    },
    async startShard(id, runtime) {
      const provider = new OpenAICompatibleProvider({ baseUrl: model.url, model: 'scripted', stream: true, timeoutMs: 10_000, retries: 1 });
      const shard = await startShard({
        shardId: id, org, registration, homeserverUrl: opts.shardHomeserverUrl ?? hs.url, routerUrl, retryHorizonMs: 600_000, shardToken: shardToken(shardSecret, id),
        dbPath: join(dataDir, 'shards', `${id}.sqlite`), host: '127.0.0.1', port: 0, heartbeatMs: 500,
        // The runtime production runs, unless a test asks for the minimal one.
        runtime: runtime ?? (opts.runtime === 'simple'
          ? () => new SimpleAgentRuntime(org, () => provider)
          : openClawRuntime(org, dataDir, model.url)),
      });
      shards.push(shard);
      return shard;
    },
    async close() {
      for (const s of shards.splice(0)) await s.close();
      await hs.detachBackend();
      await fleet.router.close();
      await model.close();
      if (!opts.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < (opts.shards ?? 1); i++) await fleet.startShard(`shard-${i}`);
  return fleet;
}

/**
 * `n` shard processes joining `fleet` through the CLI (`main.ts shard`, each with its own token), as `up` and ECS
 * start them; resolves once all of them heartbeat. `cliPath` and `env` wrap or tune the processes (log capture).
 */
export async function spawnShardProcesses(fleet: TestFleet, n: number, opts: { cliPath?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<LocalShardDriver> {
  const driver = new LocalShardDriver({
    cliPath: opts.cliPath ?? join(import.meta.dirname, '../../src/cli/main.ts'), basePort: 0, restart: false,
    env: { ...fleet.shardProcessEnv(), ...opts.env }, tokenFor: (id) => shardToken(fleet.shardSecret, id),
  });
  await driver.scale(n);
  await until(`${n} shards heartbeat`, () => fleet.router.registry.current().shardIds.length === n, opts.timeoutMs);
  return driver;
}

/** The environment of a shard process (`./fleet shard`) that joins a test fleet: its homeserver, router, tokens, model. */
export function shardEnv(o: { homeserverUrl: string; routerUrl: string; asToken: string; appserviceId: string; shardSecret: string;
  dataDir: string; modelUrl: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FLEET_HOMESERVER__URL: o.homeserverUrl,
    FLEET_ROUTER__URL: o.routerUrl,
    FLEET_AS_TOKEN: o.asToken,
    FLEET_APPSERVICE__ID: o.appserviceId,
    FLEET_APPSERVICE__REGISTRATION: join(o.dataDir, 'no-registration-file.yaml'),
    FLEET_SHARD_SECRET: o.shardSecret,
    FLEET_AGENTS__DATA_DIR: o.dataDir,
    FLEET_MODEL__DEFAULT: JSON.stringify({ kind: 'openai', baseUrl: o.modelUrl, model: 'scripted', stream: true, retries: 1 }),
    FLEET_SHARDS__HEARTBEAT_MS: '300',
    FLEET_LOG_LEVEL: process.env.FLEET_TEST_SHARD_LOG_LEVEL ?? 'warn',
  };
}
