import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedModelServer, type ScriptedModelServer } from '../../src/providers/index.ts';
import { shardToken } from '../../src/protocol/wire.ts';
import { LocalShardDriver } from '../../src/shard/drivers/local.ts';
import { CEO, testOrg } from '../helpers/fleet.ts';
import { testHomeserver, type TestHomeserver } from '../helpers/homeserver.ts';
import { Human } from '../helpers/human.ts';
import { workspaceDirName } from '../../src/agents/workspace/workspace.ts';
import { recordFigures } from '../helpers/figures.ts';
import { freePort } from '../helpers/ports.ts';
import { repliesTo, sleep, until } from '../helpers/wait.ts';

/**
 * Soak: steady traffic to 100 agents for FLEET_SOAK_MINUTES (default 10), router and two shards as processes of
 * their own on the real homeserver. Every 10 s: RSS of each process and the row counts of the work tables.
 *
 * The RSS bound, FLEET_SOAK_MAX_SLOPE (MiB/min, default 2), is fitted over the second half of the run (the first
 * half warms up: V8 grows its heap in steps, SQLite its page cache, the agent runtime its warm set to 100 agents).
 * At the default 1 message/s, a leak of what each message carries through a process — its event, delivery and
 * reply, a few KiB — is at least 0.2 MiB/min; a leaked transcript or prompt per turn (tens of KiB) is several MiB/min.
 * 2 MiB/min over 10 minutes is 20 MiB, a fifth of an idle shard: flat enough to run for months once the steps of a
 * warm-up are over, and far above the noise of GC timing (±1 MiB between samples here).
 */
const MINUTES = Number(process.env.FLEET_SOAK_MINUTES ?? 10);
const RATE = Number(process.env.FLEET_SOAK_RATE ?? 1); // messages per second, round robin over the agents
const MAX_SLOPE = Number(process.env.FLEET_SOAK_MAX_SLOPE ?? 2);
const AGENTS = 100;
/**
 * Every HOT_EVERY-th message goes to the first agent's DM, so one room passes the transcript's summarising point
 * (24 turns: openclaw/runtime.ts maxTurnsInContext 12, × 2) within the run and its file is seen to stop growing.
 */
const HOT_EVERY = 5;
/**
 * Disk: what the data dir gains per message once warm (SQLite history kept for the 7-day retention horizon — the
 * event id, the delivery, the turn — and transcript lines until a room is summarised). At 1 msg/s for the horizon,
 * 8 KiB a message is 4.6 GiB, the most the data dir can reach before pruning holds it flat.
 */
const MAX_KIB_PER_MESSAGE = Number(process.env.FLEET_SOAK_MAX_KIB_PER_MESSAGE ?? 8);
/** A summarised transcript: at most 24 turns of a few hundred bytes plus a 2,000-character summary. */
const MAX_TRANSCRIPT_KIB = 32;
const SAMPLE_MS = 10_000;
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

interface Sample { at: number; rssMiB: Record<string, number>; rows: Record<string, number>; diskKiB: Record<string, number> }

/** KiB on disk under `path` (du), 0 while it does not exist. */
function diskKiB(path: string): number {
  try {
    return Number(execFileSync('du', ['-sk', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\t')[0]);
  } catch {
    return 0;
  }
}

function rssMiB(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m)?.[1];
  return kb ? Number(kb) / 1024 : Number.NaN;
}

/** Least-squares slope of y over x (MiB per minute when x is minutes). */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function count(dbPath: string, sql: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe(`soak: ${MINUTES} min at ${RATE} msg/s to ${AGENTS} agents`, () => {
  let hs: TestHomeserver;
  let model: ScriptedModelServer;
  let router: ChildProcess;
  let driver: LocalShardDriver;
  let ceo: Human;
  let dataDir: string;
  let routerUrl: string;
  const shardSecret = 'soak-shard-secret-0123456789abcdef';

  beforeAll(async () => {
    hs = testHomeserver();
    dataDir = mkdtempSync(join(tmpdir(), 'fleet-soak-'));
    model = await startScriptedModelServer({ latencyMs: 200, maxRecorded: 100_000 });
    const port = await freePort();
    routerUrl = `http://127.0.0.1:${port}`;
    const r = hs.registration;
    const common = {
      ...process.env,
      FLEET_HOMESERVER__URL: hs.url, FLEET_ROUTER__URL: routerUrl,
      FLEET_AS_TOKEN: r.asToken, FLEET_HS_TOKEN: r.hsToken, FLEET_APPSERVICE__ID: r.id,
      FLEET_APPSERVICE__REGISTRATION: join(dataDir, 'no-registration-file.yaml'),
      FLEET_AGENTS__DATA_DIR: dataDir,
      FLEET_MODEL__DEFAULT: JSON.stringify({ kind: 'openai', baseUrl: model.url, model: 'scripted', stream: true, retries: 1 }),
      FLEET_SHARDS__HEARTBEAT_MS: '1000',
      FLEET_LOG_LEVEL: 'warn', FLEET_LOG_FORMAT: 'json',
    };
    router = spawn(process.execPath, [...process.execArgv, CLI, 'router'], {
      env: { ...common, FLEET_SHARD_SECRET: shardSecret, FLEET_ROUTER__HOST: '127.0.0.1', FLEET_ROUTER__PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await until('the router answers', () => fetch(`${routerUrl}/healthz`).then((res) => res.ok, () => false), 60_000);
    await hs.attachBackend(routerUrl);
    driver = new LocalShardDriver({ cliPath: CLI, basePort: 0, env: { ...common, FLEET_SHARD_SECRET: shardSecret }, restart: false,
      tokenFor: (id) => shardToken(shardSecret, id) });
    await driver.scale(2);
    await hs.registerUser(CEO.localpart, CEO.password);
    ceo = await Human.login(hs.url, CEO.localpart, CEO.password);
  });
  afterAll(async () => {
    ceo?.stop();
    await driver?.stopAll();
    if (router && router.exitCode === null) {
      const exited = new Promise((r) => router.once('exit', r));
      router.kill('SIGTERM');
      await exited;
    }
    await hs?.detachBackend();
    await model?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('RSS flat, work tables bounded, every message answered exactly once', async () => {
    const agents = testOrg(hs.serverName).agents().slice(0, AGENTS);
    const rooms: string[] = [];
    const setupStarted = Date.now();
    for (const a of agents) rooms.push(await ceo.openDm(a.matrixId));
    await until('every agent joined its DM', async () => {
      for (let i = 0; i < rooms.length; i++) if (!(await ceo.joinedMembers(rooms[i]!)).includes(agents[i]!.matrixId)) return false;
      return true;
    }, 300_000);
    console.log(`soak: ${AGENTS} DMs open in ${Math.round((Date.now() - setupStarted) / 1000)} s`);

    const routerDb = join(dataDir, 'router.sqlite');
    const shardDbs = () => ['shard-0', 'shard-1'].map((id) => join(dataDir, 'shards', `${id}.sqlite`));
    const pids = () => ({ router: router.pid, 'shard-0': driver.child('shard-0')?.pid, 'shard-1': driver.child('shard-1')?.pid });
    const sum = (sql: string) => shardDbs().reduce((s, db) => s + count(db, sql), 0);
    const sample = (): Sample => ({
      at: Date.now(),
      rssMiB: Object.fromEntries(Object.entries(pids()).map(([k, pid]) => [k, rssMiB(pid)])),
      rows: {
        inboxPending: count(routerDb, "SELECT COUNT(*) AS n FROM inbox WHERE state != 'done'"),
        inboxDone: count(routerDb, "SELECT COUNT(*) AS n FROM inbox WHERE state = 'done'"),
        outbox: count(routerDb, 'SELECT COUNT(*) AS n FROM outbox'),
        claims: count(routerDb, 'SELECT COUNT(*) AS n FROM claims'),
        deliveriesPending: sum("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'"),
        deliveriesDone: sum("SELECT COUNT(*) AS n FROM deliveries WHERE state != 'pending'"),
        turns: sum('SELECT COUNT(*) AS n FROM turns'),
      },
      diskKiB: { total: diskKiB(dataDir), router: diskKiB(routerDb) + diskKiB(`${routerDb}-wal`), shards: diskKiB(join(dataDir, 'shards')),
        agents: diskKiB(join(dataDir, 'agents')) },
    });

    const asked: Array<{ agentId: string; marker: string; eventId: string }> = [];
    const samples: Sample[] = [sample()];
    const started = Date.now();
    const end = started + MINUTES * 60_000;
    let nextSample = started + SAMPLE_MS;
    let roundRobin = 0;
    for (let i = 0; Date.now() < end; i++) {
      const k = i % HOT_EVERY === 0 ? 0 : 1 + (roundRobin++ % (AGENTS - 1));
      const marker = `S${i}-${Date.now().toString(36)}`;
      asked.push({ agentId: agents[k]!.matrixId, marker, eventId: await ceo.say(rooms[k]!, `Who do you report to? (${marker})`) });
      if (Date.now() >= nextSample) {
        samples.push(sample());
        nextSample += SAMPLE_MS;
      }
      await sleep(Math.max(0, started + ((i + 1) * 1000) / RATE - Date.now()));
    }

    // Every message answered: then exactly once, with one model call each.
    for (const a of asked) await ceo.waitFor((m) => m.sender === a.agentId && repliesTo(a.eventId)(m), 120_000);
    await sleep(3000);
    samples.push(sample());
    const calls = new Map<string, number>();
    for (const r of model.requests()) {
      const marker = r.messages.findLast((m) => m.role === 'user')?.content.match(/\((S\d+-[a-z0-9]+)\)/)?.[1];
      if (marker) calls.set(marker, (calls.get(marker) ?? 0) + 1);
    }
    const lost = asked.filter((a) => !ceo.seen.some(repliesTo(a.eventId))).length;
    const doubled = asked.filter((a) => ceo.seen.filter(repliesTo(a.eventId)).length > 1 || (calls.get(a.marker) ?? 0) > 1).length;

    // RSS slope over the second half (after warm-up), MiB per minute, per process.
    const half = samples.filter((s) => s.at >= started + (end - started) / 2);
    const slopes = Object.fromEntries(Object.keys(pids()).map((k) =>
      [k, slope(half.map((s) => [(s.at - started) / 60_000, s.rssMiB[k]!] as [number, number]))]));
    const last = samples.at(-1)!;
    const peak = (key: string) => Math.max(...samples.map((s) => s.rows[key]!));
    // Disk: growth per message over the second half, and the hot room's transcript (summarised, not growing).
    const diskSlope = slope(half.map((s) => [(s.at - started) / 60_000, s.diskKiB.total!] as [number, number]));
    const kibPerMessage = diskSlope / (RATE * 60);
    const hotDir = join(dataDir, 'agents', workspaceDirName(agents[0]!.matrixId), 'sessions');
    const hotTranscript = readdirSync(hotDir).map((f) => ({ kib: statSync(join(hotDir, f)).size / 1024, text: readFileSync(join(hotDir, f), 'utf8') }));
    const hotTurns = hotTranscript.map((t) => t.text.split('\n').filter((l) => l.includes('"kind":"turn"')).length);
    const hotSummarised = hotTranscript.some((t) => t.text.includes('"kind":"summary"'));
    console.log([
      `soak: ${asked.length} messages in ${MINUTES} min to ${AGENTS} agents, lost ${lost}, doubled ${doubled}`,
      `soak: RSS MiB start→end ${Object.keys(pids()).map((k) => `${k} ${samples[0]!.rssMiB[k]!.toFixed(0)}→${last.rssMiB[k]!.toFixed(0)}`).join(', ')}`,
      `soak: RSS slope over the second half (MiB/min, bound ${MAX_SLOPE}): ${Object.entries(slopes).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`,
      `soak: peak work rows inbox-pending ${peak('inboxPending')}, outbox ${peak('outbox')}, claims ${peak('claims')}, shard deliveries pending ${peak('deliveriesPending')}`,
      `soak: history rows at the end (one per message until the retention horizon): ${JSON.stringify(last.rows)}`,
      `soak: data dir MiB over time (total/router/shards/agents): ${samples.filter((_, i) => i % 6 === 0 || i === samples.length - 1)
        .map((s) => `${((s.at - started) / 60_000).toFixed(1)} min ${['total', 'router', 'shards', 'agents'].map((k) => (s.diskKiB[k]! / 1024).toFixed(1)).join('/')}`).join(', ')}`,
      `soak: data dir growth over the second half ${kibPerMessage.toFixed(2)} KiB/message (bound ${MAX_KIB_PER_MESSAGE}); hot room transcript `
        + `${hotTranscript.map((t) => t.kib.toFixed(1)).join('+')} KiB, ${hotTurns.join('+')} turns kept, summarised ${hotSummarised}`,
      `soak: ${samples.length} samples`,
    ].join('\n'));
    recordFigures('soak', {
      summary: `${asked.length} messages in ${MINUTES} min to ${AGENTS} agents: lost ${lost}, doubled ${doubled}; RSS slope MiB/min `
        + `${Object.entries(slopes).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')} (bound ${MAX_SLOPE}); disk ${kibPerMessage.toFixed(2)} KiB/message `
        + `(bound ${MAX_KIB_PER_MESSAGE}), data dir ${(last.diskKiB.total! / 1024).toFixed(1)} MiB; hot transcript summarised ${hotSummarised}`,
      rows: Object.keys(pids()).map((k) => ({ process: k, 'RSS start MiB': samples[0]!.rssMiB[k]!.toFixed(0), 'RSS end MiB': last.rssMiB[k]!.toFixed(0),
        'slope MiB/min': slopes[k]!.toFixed(2) })),
      lost, doubled, messages: asked.length, minutes: MINUTES, slopes, kibPerMessage,
      peaks: Object.fromEntries(['inboxPending', 'outbox', 'claims', 'deliveriesPending'].map((k) => [k, peak(k)])),
      rowsAtEnd: last.rows,
      disk: samples.map((s) => ({ min: +((s.at - started) / 60_000).toFixed(2), ...s.diskKiB })),
      rss: samples.map((s) => ({ min: +((s.at - started) / 60_000).toFixed(2), ...s.rssMiB })),
      tables: samples.map((s) => ({ min: +((s.at - started) / 60_000).toFixed(2), ...s.rows })),
    });

    expect({ lost, doubled }).toEqual({ lost: 0, doubled: 0 });
    for (const [k, v] of Object.entries(slopes)) expect({ process: k, slopeOk: v < MAX_SLOPE }).toEqual({ process: k, slopeOk: true });
    // Work in flight never exceeds one message per agent plus what one sampling interval brings; at rest it is none.
    const inFlightBound = AGENTS + RATE * (SAMPLE_MS / 1000);
    for (const key of ['inboxPending', 'outbox', 'claims', 'deliveriesPending']) {
      expect({ key, peakOk: peak(key) <= inFlightBound }).toEqual({ key, peakOk: true });
      expect({ key, atRest: last.rows[key] }).toEqual({ key, atRest: 0 });
    }
    // History: one delivery and one turn per message, nothing more (the DMs' invites were deliveries before the start).
    const first = samples[0]!.rows;
    expect(last.rows.turns! - first.turns!).toBe(asked.length);
    expect(last.rows.deliveriesDone! - first.deliveriesDone!).toBe(asked.length);
    // Disk: bounded growth per message; the hot room's transcript was summarised and keeps at most 2 × 12 turns.
    expect({ kibPerMessageOk: kibPerMessage < MAX_KIB_PER_MESSAGE }).toEqual({ kibPerMessageOk: true });
    if (asked.length / HOT_EVERY > 30) {
      expect(hotSummarised).toBe(true);
      for (const [i, t] of hotTranscript.entries()) expect({ turns: hotTurns[i]! <= 24, small: t.kib <= MAX_TRANSCRIPT_KIB }).toEqual({ turns: true, small: true });
    }
  });
});
