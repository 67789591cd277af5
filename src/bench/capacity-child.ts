/**
 * Runs in a process of its own (started by the capacity scenario) so the RSS it reports is that of a shard-like
 * process: Node, the agent runtime and its agents, nothing of the bench. Prints one JSON line on stdout.
 *   node --expose-gc capacity-child.ts runtime <agents> <turns>                benchAgentRuntime: idle RSS, overhead, wake-up
 *   node --expose-gc capacity-child.ts active <hosted> <concurrent> <rounds>   peak RSS while <concurrent> answer at once
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchAgentRuntime } from '../agents/bench-runtime.ts';
import { OpenClawAgentRuntime } from '../agents/openclaw/index.ts';
import { fleetContext, orgFor } from '../cli/context.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';
import { ScriptedProvider } from '../providers/index.ts';

const CONCURRENCY = 32;
const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * A shard's runtime hosting `hosted` agents that have each answered once and been hibernated, then `concurrent` of
 * them answering `rounds` messages each, all at once: the peak RSS of that active phase.
 */
async function activePeak(org: OrgDirectory, hosted: number, concurrent: number, rounds: number): Promise<{ peakRssMiB: number; idleRssMiB: number; turns: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleet-bench-active-'));
  const provider = new ScriptedProvider();
  const runtime = new OpenClawAgentRuntime({
    org, dataDir, providerFor: () => provider, maxWarmAgents: hosted + 1, idleMs: 3_600_000,
    services: { messageColleague: async () => ({ roomId: '!bench:local', eventId: '$bench' }) },
  });
  const staff = org.agents().slice(0, hosted);
  const turn = (agent: Person, room: string, id: string) => runtime.turn({
    agent, roomId: room, isDirect: true, eventId: id, text: `Status update ${id}? Who do you report to?`,
    sender: { id: '@ceo:bench', name: 'The CEO', human: true },
  });
  const sampler = { peak: 0, timer: undefined as NodeJS.Timeout | undefined };
  let turns = 0;
  try {
    for (const agent of staff) await turn(agent, `!warm:${agent.localpart}`, `$warm-${agent.localpart}`);
    for (const agent of staff) await runtime.hibernate(agent.matrixId);
    (globalThis as { gc?: () => void }).gc?.();
    const idle = process.memoryUsage().rss;
    sampler.peak = idle;
    sampler.timer = setInterval(() => { sampler.peak = Math.max(sampler.peak, process.memoryUsage().rss); }, 10);
    await Promise.all(staff.slice(0, concurrent).map(async (agent) => {
      for (let r = 0; r < rounds; r++) {
        await turn(agent, `!active:${agent.localpart}`, `$active-${agent.localpart}-${r}`);
        turns++;
        sampler.peak = Math.max(sampler.peak, process.memoryUsage().rss);
      }
    }));
    return { peakRssMiB: mib(sampler.peak), idleRssMiB: mib(idle), turns };
  } finally {
    clearInterval(sampler.timer);
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  const [agents, n, rounds] = rest.map(Number);
  const positive = (x: number | undefined): x is number => x !== undefined && Number.isInteger(x) && x > 0;
  const ctx = fleetContext();
  const org = orgFor(ctx.config, ctx.root);
  const result = mode === 'runtime' && positive(agents) && positive(n)
    ? await benchAgentRuntime({ org, agents, turns: n, concurrency: CONCURRENCY })
    : mode === 'active' && positive(agents) && positive(n) && positive(rounds) ? await activePeak(org, agents, n, rounds) : undefined;
  if (!result) throw new Error('usage: capacity-child.ts runtime <agents> <turns> | active <hosted> <concurrent> <rounds>');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
