import { ROUTER_STATUS_PATH } from '../protocol/wire.ts';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FleetConfig } from '../config/schema.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { startScriptedModelServer, type ScriptedModelServer } from '../providers/index.ts';
import { BenchClient } from './client.ts';
import { startBenchHomeserver, type BenchHomeserver } from './homeserver.ts';
import { FleetProcesses, freePort } from './processes.ts';
import { sleep } from './stats.ts';

export interface BenchFleetOptions {
  config: FleetConfig;
  /** Project root: config-relative paths (an org file) resolve against it, and src/cli/main.ts lives under it. */
  root: string;
  cacheDir: string;
  org: OrgDirectory;
  synapseInstance: string;
  /** Scratch directory of this run: registration, config, agents' data, process logs. */
  workDir: string;
  progress: (line: string) => void;
  /** Shard heartbeat and death timings (default 500 / 3000 ms); a many-process fleet on a small box needs slack. */
  shardTimings?: { heartbeatMs: number; deadAfterMs: number };
}

const OBSERVER_LOCALPART = 'bench.observer';
const START_TIMEOUT_MS = 60_000;
const REPLY_TIMEOUT_MS = 60_000;

/**
 * The whole fleet as production runs it, on one machine: the bench's own Synapse, the router and shards as separate
 * processes (`main.ts router`, `main.ts shard`), the scripted model behind its OpenAI-compatible HTTP endpoint, and
 * two people at lean Matrix clients: the CEO (who talks to agents) and an observer (for the homeserver's own figures).
 */
export class BenchFleet {
  readonly hs: BenchHomeserver;
  readonly org: OrgDirectory;
  readonly routerUrl: string;
  /** The human CEO: sends to agents and to the observer. */
  readonly sender: BenchClient;
  /** A second person, who only receives: the baseline's other end. */
  readonly observer: BenchClient;
  readonly #processes: FleetProcesses;
  readonly #model: ScriptedModelServer;
  readonly #secret: string;
  readonly #dms = new Map<string, Promise<string>>();
  #baselineRoom: Promise<string> | undefined;
  #shards = 0;

  private constructor(init: { hs: BenchHomeserver; org: OrgDirectory; routerUrl: string; sender: BenchClient; observer: BenchClient;
    processes: FleetProcesses; model: ScriptedModelServer; secret: string }) {
    this.#secret = init.secret;
    this.hs = init.hs;
    this.org = init.org;
    this.routerUrl = init.routerUrl;
    this.sender = init.sender;
    this.observer = init.observer;
    this.#processes = init.processes;
    this.#model = init.model;
  }

  /** Starts everything; whatever did start is stopped again if a later step fails. */
  static async start(opts: BenchFleetOptions): Promise<BenchFleet> {
    const { config, org } = opts;
    const ceo = org.humans()[0];
    if (!ceo) throw new Error('the org has no human CEO to send the bench messages');
    const routerPort = await freePort();
    const routerUrl = `http://127.0.0.1:${routerPort}`;
    const undo: Array<() => Promise<void>> = [];
    try {
      const hs = await startBenchHomeserver({
        cacheDir: opts.cacheDir, instance: opts.synapseInstance, serverName: config.domain, routerUrl, workDir: opts.workDir,
        appserviceId: `${config.appservice.id}-bench`, senderLocalpart: config.appservice.senderLocalpart, progress: opts.progress,
        agents: org.agents().map((p) => p.localpart),
        humans: org.humans().map((p) => p.localpart), namespace: config.appservice.namespace,
        // The throughput scenario reports homeserver requests per answer, counted on the wire (request-counter.ts).
        countRequests: true,
        // SQLite unless asked: the latency and throughput figures so far were taken on it (docs/benchmarks.md).
        ...(process.env.FLEET_BENCH_FLEET_DATABASE === 'postgres' ? { database: 'postgres' as const } : {}),
      });
      undo.push(() => hs.close());
      // Enough recorded calls for the scale scenario's exactly-once count over its rescale window.
      const model = await startScriptedModelServer({ maxRecorded: 2000 });
      undo.push(() => model.close());

      const dataDir = join(opts.workDir, 'data');
      const logDir = join(opts.workDir, 'logs');
      mkdirSync(logDir, { recursive: true });
      const configPath = join(opts.workDir, 'fleet.yaml');
      writeFileSync(configPath, stringify(benchConfig(config, { hsUrl: hs.url, registrationPath: hs.registrationPath, routerPort, routerUrl, dataDir, modelUrl: model.url,
        timings: opts.shardTimings ?? { heartbeatMs: 500, deadAfterMs: 3000 } })), { mode: 0o600 });
      const secret = randomBytes(32).toString('hex');
      const processes = new FleetProcesses({
        cliPath: join(opts.root, 'src/cli/main.ts'),
        logDir,
        env: childEnv(opts.root, configPath, secret),
      });
      undo.push(() => processes.stopAll());
      processes.start('router', ['router']);
      await waitUntil(async () => (await routerHealth(routerUrl, secret)) !== undefined, START_TIMEOUT_MS,
        () => `the router did not answer on ${routerUrl}; ${processes.logTail('router')}`, () => processes.running('router'));

      const passwords = { ceo: randomBytes(16).toString('hex'), observer: randomBytes(16).toString('hex') };
      await hs.registerUser(ceo.localpart, passwords.ceo);
      await hs.registerUser(OBSERVER_LOCALPART, passwords.observer);
      const sender = await BenchClient.login(hs.url, ceo.localpart, passwords.ceo);
      undo.push(() => sender.close());
      const observer = await BenchClient.login(hs.url, OBSERVER_LOCALPART, passwords.observer);
      undo.push(() => observer.close());
      return new BenchFleet({ hs, org, routerUrl, sender, observer, processes, model, secret });
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      throw err;
    }
  }

  get shardCount(): number {
    return this.#shards;
  }

  /** Runs exactly `count` shards and waits until the router places agents on all of them (and only them). */
  async useShards(count: number, timeoutMs = START_TIMEOUT_MS): Promise<void> {
    for (let i = 0; i < count; i++) {
      const name = `shard-${i}`;
      if (!this.#processes.running(name)) this.#processes.start(name, ['shard', '--id', name, '--port', '0']);
    }
    const extra = this.#processes.names().filter((n) => n.startsWith('shard-') && Number(n.slice('shard-'.length)) >= count);
    await Promise.all(extra.map((n) => this.#processes.stop(n)));
    // Sorted like the router's list: as strings, shard-10 comes before shard-2.
    const want = Array.from({ length: count }, (_, i) => `shard-${i}`).sort().join(',');
    await waitUntil(async () => {
      const shards = (await routerHealth(this.routerUrl, this.#secret))?.shards.map((s) => s.shardId).sort().join(',');
      return shards === want;
    }, timeoutMs, () => `the router did not see shards ${want}; ${this.#processes.logTail('shard-0')}`);
    this.#shards = count;
  }

  /** The CEO's direct chat with an agent, created (and the agent's join awaited) on first use. */
  dm(agentId: string): Promise<string> {
    let room = this.#dms.get(agentId);
    if (!room) {
      room = this.sender.createRoom({ invite: [agentId], direct: true });
      this.#dms.set(agentId, room);
      room.catch(() => this.#dms.delete(agentId));
    }
    return room;
  }

  hasDm(agentId: string): boolean {
    return this.#dms.has(agentId);
  }

  /**
   * Sends one DM to an agent and waits for its answer; the time from send to the reply reaching the CEO's client.
   * With `includeRoomCreation` the clock starts before the DM is created (first contact: the agent is provisioned on
   * the homeserver's user query, accepts the invitation, then answers).
   */
  async ask(agentId: string, body: string, opts: { includeRoomCreation?: boolean } = {}): Promise<number> {
    const beforeRoom = performance.now();
    const room = await this.dm(agentId);
    const started = opts.includeRoomCreation ? beforeRoom : performance.now();
    const eventId = await this.sender.say(room, body);
    const reply = await this.sender.waitForReplyTo(eventId, REPLY_TIMEOUT_MS);
    if (reply.sender !== agentId) throw new Error(`expected ${agentId} to answer ${eventId}, got ${reply.sender}`);
    return reply.receivedAt - started;
  }

  /** A room of the CEO and the observer: the homeserver on its own, no agent in it. */
  baselineRoom(): Promise<string> {
    this.#baselineRoom ??= (async () => {
      const room = await this.sender.createRoom({ invite: [this.observer.userId], name: 'bench baseline' });
      await this.observer.join(room);
      return room;
    })();
    return this.#baselineRoom;
  }

  /** One message from the CEO to the observer: the time from send to the observer's client receiving it. */
  async roundTrip(body: string): Promise<number> {
    const room = await this.baselineRoom();
    const started = performance.now();
    const eventId = await this.sender.say(room, body);
    const seen = await this.observer.waitForEvent(eventId, REPLY_TIMEOUT_MS);
    return seen.receivedAt - started;
  }

  /** The model calls recorded so far (the last 2000): exactly-once is counted on them (scale scenario). */
  modelRequests(): ReturnType<ScriptedModelServer['requests']> {
    return this.#model.requests();
  }

  /** Resident memory of each of the fleet's processes (router, shard-…), MiB, from /proc. */
  rssMiB(): Map<string, number> {
    const out = new Map<string, number>();
    for (const name of this.#processes.names()) {
      const pid = this.#processes.pid(name);
      const kib = pid === undefined ? undefined : readRssKiB(pid);
      if (kib !== undefined) out.set(name, kib / 1024);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.sender.close();
    await this.observer.close();
    // Shards first: closing, they tell the router they are gone.
    await Promise.all(this.#processes.names().filter((n) => n !== 'router').map((n) => this.#processes.stop(n)));
    await this.#processes.stopAll();
    await this.#model.close();
    await this.hs.close();
  }
}

interface RouterHealth { shards: Array<{ shardId: string }> }

function readRssKiB(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function routerHealth(url: string, secret: string): Promise<RouterHealth | undefined> {
  try {
    const res = await fetch(`${url}${ROUTER_STATUS_PATH}`, { headers: { authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as RouterHealth) : undefined;
  } catch {
    return undefined;
  }
}

async function waitUntil(ready: () => Promise<boolean>, timeoutMs: number, explain: () => string, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (!alive() || Date.now() > deadline) throw new Error(explain());
    await sleep(100);
  }
}

/**
 * The configuration the bench's router and shards run with: the user's org and identities, but this run's
 * homeserver, registration, ports, data and the instant scripted model, whatever the user configured for models.
 */
function benchConfig(config: FleetConfig, at: { hsUrl: string; registrationPath: string; routerPort: number; routerUrl: string; dataDir: string; modelUrl: string;
  timings: { heartbeatMs: number; deadAfterMs: number } }): Record<string, unknown> {
  return {
    domain: config.domain,
    ceo: config.ceo,
    org: config.org,
    homeserver: { url: at.hsUrl, local: config.homeserver.local },
    appservice: { ...config.appservice, registration: at.registrationPath },
    router: { host: '127.0.0.1', port: at.routerPort, url: at.routerUrl },
    shards: { count: 1, host: '127.0.0.1', basePort: config.shards.basePort, driver: 'local', ...at.timings },
    agents: { ...config.agents, dataDir: at.dataDir },
    model: { default: { kind: 'openai', baseUrl: at.modelUrl, model: 'scripted', stream: true } },
    // The bench measures the fleet's own cost per message, so the pacing policies (turns per agent and minute, room
    // budgets) are opened wide; shard-wide concurrency stays as configured.
    limits: { ...config.limits, agentTurnsPerMinute: 100_000, roomRepliesPerMinute: 100_000, humanFloorPerMinute: 100_000 },
    log: { level: process.env.FLEET_LOG_LEVEL ?? 'warn' },
  };
}

/** The user's environment without FLEET_* overrides, which would otherwise reach into the bench's configuration. */
function childEnv(root: string, configPath: string, shardSecret: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLEET_')) env[k] = v;
  return {
    ...env,
    FLEET_HOME: root,
    FLEET_CONFIG: configPath,
    FLEET_SHARD_SECRET: shardSecret,
    FLEET_LOG_LEVEL: process.env.FLEET_LOG_LEVEL ?? 'warn',
    ...(process.env.FLEET_CACHE_DIR ? { FLEET_CACHE_DIR: process.env.FLEET_CACHE_DIR } : {}),
  };
}
