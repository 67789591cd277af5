/**
 * Runs in a process of its own (started by the capacity scenario) so the RSS it reports is that of a shard-like
 * process: Node, the agent runtime and its agents, nothing of the bench. Prints one JSON line on stdout.
 *   node --expose-gc capacity-child.ts runtime <agents> <turns>   benchAgentRuntime: idle RSS, overhead, wake-up
 *   node --expose-gc capacity-child.ts active <agents> <rounds>   peak RSS while <agents> answer at the same time
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchAgentRuntime } from '../agents/bench-runtime.ts';
import { OpenClawAgentRuntime } from '../agents/openclaw/index.ts';
import { fleetContext, orgFor } from '../cli/context.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { ScriptedProvider } from '../providers/index.ts';

const CONCURRENCY = 32;
const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

async function activePeak(org: OrgDirectory, agents: number, rounds: number): Promise<{ peakRssMiB: number; turns: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleet-bench-active-'));
  const provider = new ScriptedProvider();
  const runtime = new OpenClawAgentRuntime({
    org, dataDir, providerFor: () => provider, maxWarmAgents: agents + 1,
    services: { messageColleague: async () => ({ roomId: '!bench:local', eventId: '$bench' }) },
  });
  const staff = org.agents().slice(0, agents);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
  let turns = 0;
  try {
    await Promise.all(staff.map(async (agent, a) => {
      for (let r = 0; r < rounds; r++) {
        await runtime.turn({
          agent, roomId: `!active${a}:bench`, isDirect: true, eventId: `$active${a}-${r}`, text: `Status update ${r}? Who do you report to?`,
          sender: { id: '@ceo:bench', name: 'The CEO', human: true },
        });
        turns++;
        peak = Math.max(peak, process.memoryUsage().rss);
      }
    }));
  } finally {
    clearInterval(sampler);
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { peakRssMiB: mib(peak), turns };
}

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  const ctx = fleetContext();
  const org = orgFor(ctx.config, ctx.root);
  const agents = Number(a);
  const n = Number(b);
  if (!Number.isInteger(agents) || agents < 1 || !Number.isInteger(n) || n < 1) throw new Error(`usage: capacity-child.ts runtime|active <agents> <n>`);
  const result = mode === 'runtime'
    ? await benchAgentRuntime({ org, agents, turns: n, concurrency: CONCURRENCY })
    : mode === 'active' ? await activePeak(org, agents, n) : undefined;
  if (!result) throw new Error(`unknown mode ${mode}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
