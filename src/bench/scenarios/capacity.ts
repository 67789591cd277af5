import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchRuntimeResult } from '../../agents/bench-runtime.ts';
import { tidy } from '../stats.ts';
import type { BenchResult, BenchSizes } from '../types.ts';

const CHILD = fileURLToPath(new URL('../capacity-child.ts', import.meta.url));
const ACTIVE_AGENTS = 32;

/** Runs capacity-child.ts in a fresh Node process and returns the JSON it printed. */
function runChild<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--disable-warning=ExperimentalWarning', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLEET_LOG_LEVEL: process.env.FLEET_LOG_LEVEL ?? 'warn' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString('utf8')).slice(-4000); });
    child.once('error', reject);
    child.once('close', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code === 0 && line) {
        try {
          resolve(JSON.parse(line) as T);
          return;
        } catch { /* reported below */ }
      }
      reject(new Error(`capacity child ${args.join(' ')} failed (exit ${code}): ${err.trim().split('\n').slice(-10).join('\n')}`));
    });
  });
}

/**
 * Memory of one shard-like process hosting 200 and 1000 agents that have each answered once and been hibernated,
 * and its peak while 32 agents answer at once; the per-turn overhead of the agent runtime (model time excluded) and
 * the first turn of a hibernated agent. Each figure comes from a fresh process.
 */
export async function capacityScenario(sizes: BenchSizes['capacity'], progress: (line: string) => void): Promise<BenchResult[]> {
  progress('capacity: 200 agents');
  const r200 = await runChild<BenchRuntimeResult>(['runtime', '200', String(sizes.turns)]);
  progress('capacity: 1000 agents');
  const r1000 = await runChild<BenchRuntimeResult>(['runtime', '1000', String(Math.max(ACTIVE_AGENTS, Math.floor(sizes.turns / 4)))]);
  progress(`capacity: ${ACTIVE_AGENTS} agents answering at once`);
  const active = await runChild<{ peakRssMiB: number; turns: number }>(['active', '200', String(ACTIVE_AGENTS), String(sizes.activeRounds)]);
  const idle200 = r200.idleRssMiB200;
  const idle1000 = r1000.idleRssMiB200;
  if (idle200 === undefined || idle1000 === undefined) throw new Error('benchAgentRuntime reported no idle RSS');
  const c = (metric: string, value: number, unit: string, note?: string): BenchResult =>
    ({ scenario: 'capacity', metric, value: tidy(value), unit, ...(note ? { note } : {}) });
  return [
    c('capacity.rss_mib_200_idle', idle200, 'MiB', 'each answered once, then hibernated'),
    c('capacity.rss_mib_1000_idle', idle1000, 'MiB'),
    c('capacity.rss_mib_32_active', active.peakRssMiB, 'MiB', `200 hosted; peak over ${active.turns} turns, ${ACTIVE_AGENTS} at a time`),
    c('capacity.idle_rss_mib_per_agent', (idle1000 - idle200) / 800, 'MiB', 'from 200 → 1000 agents'),
    c('agent.overhead_p50_ms', r200.overheadP50Ms, 'ms', `${sizes.turns} turns, 32 concurrent, model time excluded`),
    c('agent.overhead_p99_ms', r200.overheadP99Ms, 'ms'),
    c('agent.hibernated_first_reply_ms', r200.hibernatedFirstTurnMs, 'ms', 'runtime only, reload from disk included'),
  ];
}
