import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OpenClawAgentRuntime } from '../../agents/openclaw/index.ts';
import type { FleetConfig } from '../../config/schema.ts';
import { heartbeatSchema, HEARTBEAT_MARKER, type HeartbeatConfig } from '../../heartbeat/index.ts';
import type { OrgDirectory } from '../../org/directory.ts';
import { LEVELS } from '../../org/types.ts';
import { OpenAICompatibleProvider, startScriptedModelServer, type ScriptedModelServer } from '../../providers/index.ts';
import { shardToken } from '../../protocol/wire.ts';
import { startRouter, type RunningRouter } from '../../router/router.ts';
import { startShard, type RunningShard } from '../../shard/shard.ts';
import { startBenchHomeserver, type BenchHomeserver } from '../homeserver.ts';
import { freePort } from '../processes.ts';
import { sleep } from '../stats.ts';
import type { BenchResult, IdleSizes } from '../types.ts';
import { spreadAgents } from './latency.ts';

export interface IdleScenarioOptions {
  config: FleetConfig;
  cacheDir: string;
  /** Base Synapse instance name; this scenario runs its own fresh instance beside it. */
  instance: string;
  workDir: string;
  org: OrgDirectory;
  sizes: IdleSizes;
  progress: (line: string) => void;
}

const HOUR_MS = 3600_000;
/** The router's own timer period: the simulated hour is ticked at the same step. */
const TICK_MS = 30_000;
/** The seed prompts every agent every 5 minutes, idle or not. */
const SEED_INTERVAL_MINUTES = 5;
const SETTLE_MS = 2000;
const TURN_TIMEOUT_MS = 60_000;

/** Heartbeat on for every level at the seed's interval, without jitter so an hour holds exactly 60 / 5 beats. */
const EVERY_LEVEL_AT_SEED_RATE: HeartbeatConfig = heartbeatSchema.parse({
  intervalMinutes: SEED_INTERVAL_MINUTES, jitterMinutes: 0,
  levels: Object.fromEntries(LEVELS.map((level) => [level, { enabled: true }])),
});

/**
 * The idle cost: model calls in one simulated hour with nothing to do. The router and one shard run in this process
 * (as test/helpers/fleet.ts does), because only there can the heartbeat be ticked on a simulated clock; they talk to
 * the bench's own Synapse over HTTP, host the whole org live and answer with the scripted model behind its HTTP
 * endpoint through the production agent runtime. Four hours are simulated: (a) the default config (heartbeat off);
 * (b) heartbeat on for every level every 5 minutes, no open task anywhere; (c) the same with `agentsWithTasks` agents
 * given one open task each; (d) the default config again with those tasks still open. Every model request the
 * scripted model records in an hour is a model call.
 */
export async function idleScenario(o: IdleScenarioOptions): Promise<BenchResult[]> {
  const { org, config } = o;
  const ceo = org.humans()[0];
  if (!ceo) throw new Error('the org has no human CEO to create the tasks');
  const workDir = join(o.workDir, 'idle');
  mkdirSync(workDir, { recursive: true });
  const routerPort = await freePort();
  const hs = await startBenchHomeserver({
    cacheDir: o.cacheDir, instance: `${o.instance}-idle`, serverName: config.domain, routerUrl: `http://127.0.0.1:${routerPort}`, workDir,
    appserviceId: `${config.appservice.id}-bench`, senderLocalpart: config.appservice.senderLocalpart, progress: o.progress,
    agents: org.agents().map((p) => p.localpart), humans: org.humans().map((p) => p.localpart), namespace: config.appservice.namespace,
  });
  const fleet = await IdleFleet.start({ hs, org, workDir, routerPort }).catch(async (err: unknown) => {
    await hs.close();
    throw err;
  });
  try {
    await hs.registerUser(ceo.localpart, randomBytes(16).toString('hex'));

    o.progress('idle: (a) default config, heartbeat off: one simulated hour');
    const off = await fleet.idleHour();

    await fleet.restartRouter(EVERY_LEVEL_AT_SEED_RATE);
    o.progress(`idle: (b) heartbeat on for every level every ${SEED_INTERVAL_MINUTES} min, no open task: one simulated hour`);
    const noTasks = await fleet.idleHour();

    const busy = spreadAgents(org.agents(), o.sizes.agentsWithTasks);
    o.progress(`idle: (c) ${busy.length} agents with one open task each: assigning, then one simulated hour`);
    await fleet.assignOneTaskEach(ceo.matrixId, busy);
    const withTasks = await fleet.busyHour(busy);

    await fleet.restartRouter(undefined);
    o.progress(`idle: (d) default config again, the ${busy.length} tasks still open: one simulated hour`);
    const offWithTasks = await fleet.idleHour();

    const expected = busy.length * (60 / SEED_INTERVAL_MINUTES);
    const seed = org.size * (60 / SEED_INTERVAL_MINUTES);
    const r = (metric: string, value: number, unit: string, note?: string): BenchResult =>
      ({ scenario: 'idle', metric, value, unit, ...(note ? { note } : {}) });
    return [
      r('agent.idle_calls_per_hour', off.calls, 'calls/h', `default config (heartbeat off), ${org.agents().length} agents live, simulated hour; must be 0`),
      r('agent.idle_calls_per_hour_heartbeat_on', noTasks.calls, 'calls/h',
        `heartbeat on for every level every ${SEED_INTERVAL_MINUTES} min, no open task; ${noTasks.beats} beats`),
      r('agent.heartbeat_calls_per_hour_open_tasks', withTasks.calls, 'calls/h',
        `same, ${busy.length} agents with one open task each: ${withTasks.beats} beats, ${withTasks.turns} heartbeat turns (${busy.length} × 12 = ${expected})`),
      r('agent.heartbeat_tokens_per_hour_open_tasks', withTasks.tokens, 'tokens/h',
        `the model tokens of those ${withTasks.calls} calls (${busy.length ? Math.round(withTasks.tokens / busy.length) : 0} per agent with an open task), as the scripted model counts them`),
      r('agent.idle_calls_per_hour_default_open_tasks', offWithTasks.calls, 'calls/h',
        `default config again with the ${busy.length} tasks open: heartbeat off means no beat whatever is open`),
      r('agent.seed_calls_per_hour', seed, 'calls/h', `the seed's design: all ${org.size} employees prompted every ${SEED_INTERVAL_MINUTES} min, idle or not (computed)`),
    ];
  } finally {
    await fleet.close();
    await hs.close();
  }
}

interface Hour { calls: number; tokens: number; beats: number; turns: number }
interface IdleFleetParts { hs: BenchHomeserver; org: OrgDirectory; workDir: string; routerPort: number }

/** Router and one shard in this process on the bench's Synapse, with a simulated heartbeat clock. */
class IdleFleet {
  readonly #o: IdleFleetParts;
  readonly #model: ScriptedModelServer;
  readonly #secret = randomBytes(32).toString('hex');
  #router: RunningRouter | undefined;
  #shard: RunningShard | undefined;
  /** The simulated clock; it starts at real time and only moves forward. */
  #now = Date.now();

  private constructor(o: IdleFleetParts, model: ScriptedModelServer) {
    this.#o = o;
    this.#model = model;
  }

  static async start(o: IdleFleetParts): Promise<IdleFleet> {
    const fleet = new IdleFleet(o, await startScriptedModelServer({ maxRecorded: 2000 }));
    try {
      fleet.#router = await fleet.#startRouter();
      const provider = new OpenAICompatibleProvider({ baseUrl: fleet.#model.url, model: 'scripted', stream: true, timeoutMs: 30_000, retries: 1 });
      const dataDir = join(o.workDir, 'data');
      fleet.#shard = await startShard({
        shardId: 'shard-0', org: o.org, registration: o.hs.registration, homeserverUrl: o.hs.url, routerUrl: `http://127.0.0.1:${o.routerPort}`,
        shardToken: shardToken(fleet.#secret, 'shard-0'), dbPath: join(dataDir, 'shards', 'shard-0.sqlite'), host: '127.0.0.1', port: 0, heartbeatMs: 500,
        runtime: (services) => new OpenClawAgentRuntime({ org: o.org, dataDir, services, providerFor: () => provider }),
        // The bench measures calls, not pacing: a shard's per-agent and per-room limits would only delay turns.
        limits: { agentTurnsPerMinute: 100_000, roomRepliesPerMinute: 100_000, humanFloorPerMinute: 100_000 },
      });
      await fleet.#waitForShard();
      return fleet;
    } catch (err) {
      await fleet.close();
      throw err;
    }
  }

  #startRouter(heartbeat?: HeartbeatConfig): Promise<RunningRouter> {
    const { hs, org, workDir, routerPort } = this.#o;
    if (!hs.registration.hsToken) throw new Error('the bench registration has no homeserver token');
    return startRouter({
      org, registration: { ...hs.registration, hsToken: hs.registration.hsToken }, homeserverUrl: hs.url, shardSecret: this.#secret,
      dbPath: join(workDir, 'data', 'router.sqlite'), host: '127.0.0.1', port: routerPort, deadShardAfterMs: 3000, heartbeatMs: 500,
      // Absent: the default config (heartbeat off), as a fleet.yaml without a heartbeat block gets.
      ...(heartbeat ? { heartbeat } : {}),
      heartbeatClock: () => this.#now,
    });
  }

  async #waitForShard(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((this.#router?.registry.list().length ?? 0) < 1) {
      if (Date.now() > deadline) throw new Error('the shard did not join the router within 60 s');
      await sleep(100);
    }
  }

  /** A new router on the same port and database (tasks kept) with another heartbeat config; the shard stays and rejoins. */
  async restartRouter(heartbeat: HeartbeatConfig | undefined): Promise<void> {
    await this.#router?.close();
    this.#router = await this.#startRouter(heartbeat);
    await this.#waitForShard();
  }

  #running(): RunningRouter {
    if (!this.#router) throw new Error('the router is not running');
    return this.#router;
  }

  /** Creates one task for each agent as the CEO and waits for the turn its assignment message starts. */
  async assignOneTaskEach(creator: string, agents: readonly string[]): Promise<void> {
    const router = this.#running();
    const before = new Map(agents.map((a) => [a, this.#callsOf(a)]));
    for (const [i, assignee] of agents.entries()) {
      router.tasks.create({ id: creator }, { title: `Quarterly review ${i + 1}`, assignee });
    }
    await this.#until(() => agents.every((a) => this.#callsOf(a) > before.get(a)!), 'every assignee answered its assignment');
    await sleep(SETTLE_MS);
  }

  /** One simulated hour in which nothing is due: every tick at once, then a pause for anything the beats started. */
  async idleHour(): Promise<Hour> {
    const router = this.#running();
    await sleep(SETTLE_MS);
    const calls = this.#model.requests().length;
    let beats = 0;
    // The first tick enrols the agents; their first beat is an interval later, so one hour holds 60 / interval beats.
    for (const end = this.#now + HOUR_MS; this.#now <= end; this.#now += TICK_MS) beats += router.heartbeat.tick(this.#now);
    await sleep(SETTLE_MS);
    return { calls: this.#model.requests().length - calls, tokens: this.#tokensSince(calls), beats, turns: this.#heartbeatTurns() };
  }

  /**
   * One simulated hour with beats due: after each tick that woke agents, the clock waits for their turns, as five
   * real minutes would allow (beats of one agent posted in one instant are not what a real hour looks like).
   */
  async busyHour(agents: readonly string[]): Promise<Hour> {
    const router = this.#running();
    const calls = this.#model.requests().length;
    const turnsBefore = this.#heartbeatTurns();
    let beats = 0;
    for (const end = this.#now + HOUR_MS; this.#now <= end; this.#now += TICK_MS) {
      const woke = router.heartbeat.tick(this.#now);
      if (woke === 0) continue;
      beats += woke;
      await this.#until(() => this.#heartbeatTurns() - turnsBefore >= beats, `${beats} heartbeat turns of ${agents.length} agents`);
    }
    await sleep(SETTLE_MS);
    return { calls: this.#model.requests().length - calls, tokens: this.#tokensSince(calls), beats, turns: this.#heartbeatTurns() - turnsBefore };
  }

  /** Tokens of the model calls recorded after the first `from` (the hour's calls). */
  #tokensSince(from: number): number {
    return this.#model.requests().slice(from).reduce((sum, r) => sum + (r.usage ? r.usage.inputTokens + r.usage.outputTokens : 0), 0);
  }

  #callsOf(agentId: string): number {
    return this.#model.requests().filter((r) => r.agentId === agentId).length;
  }

  /** Model calls that start a heartbeat turn: the prompt is the last message. */
  #heartbeatTurns(): number {
    return this.#model.requests().filter((r) => {
      const last = r.messages.at(-1);
      return last?.role === 'user' && last.content.includes(HEARTBEAT_MARKER);
    }).length;
  }

  async #until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + TURN_TIMEOUT_MS;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  async close(): Promise<void> {
    await this.#shard?.close().catch(() => undefined);
    await this.#router?.close().catch(() => undefined);
    await this.#model.close();
  }
}
