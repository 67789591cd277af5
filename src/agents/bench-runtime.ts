import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';
import { ScriptedProvider } from '../providers/scripted/provider.ts';
import type { CompletionRequest, CompletionResult, ModelProvider } from '../providers/types.ts';
import { OpenClawAgentRuntime } from './openclaw/runtime.ts';
import type { AgentServices, AgentTurnInput } from './runtime.ts';

export interface BenchRuntimeOptions {
  agents: number;
  turns: number;
  concurrency: number;
  /** Defaults to a synthetic flat org (one human CEO, everyone else reporting to them). */
  org?: OrgDirectory;
  dataDir?: string;
}

export interface BenchRuntimeResult {
  /** RSS with every agent registered, warmed once and hibernated (only when agents ≥ 200). */
  idleRssMiB200?: number;
  /** Per-turn wall time minus model time, with an instant scripted model. */
  overheadP50Ms: number;
  overheadP99Ms: number;
  /** Median time of the first turn after hibernation (reload from disk included). */
  hibernatedFirstTurnMs: number;
  rssMiB: number;
}

/** The model's own time is subtracted so only the runtime's overhead is reported. */
class TimedProvider implements ModelProvider {
  readonly id: string;
  readonly model: string;
  readonly #inner: ModelProvider;
  /** Model time per agent: turns of different agents overlap, so a shared counter would mix them up. */
  readonly modelMs = new Map<string, number>();

  constructor(inner: ModelProvider) {
    this.#inner = inner;
    this.id = inner.id;
    this.model = inner.model;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const start = performance.now();
    try {
      return await this.#inner.complete(req);
    } finally {
      const agent = req.agentId ?? '';
      this.modelMs.set(agent, (this.modelMs.get(agent) ?? 0) + performance.now() - start);
    }
  }
}

/** A flat company of any size (the generated one has 1000 agents): a human CEO and N individual contributors. */
function syntheticOrg(agents: number, domain = 'bench.example'): OrgDirectory {
  const ceoId = `@ceo:${domain}`;
  const people: Person[] = [
    { matrixId: ceoId, localpart: 'ceo', name: 'Casey Chief', firstName: 'Casey', lastName: 'Chief', title: 'CEO', level: 'CEO',
      department: 'Executive', team: null, reportsTo: null, directReports: [], human: true },
  ];
  for (let i = 0; i < agents; i++) {
    const localpart = `agent.number${i}`;
    people.push({ matrixId: `@${localpart}:${domain}`, localpart, name: `Agent Number${i}`, firstName: 'Agent', lastName: `Number${i}`,
      title: i % 2 ? 'Engineer' : 'Analyst', level: 'IC', department: i % 3 ? 'Engineering' : 'Finance', team: `Team ${i % 10}`,
      reportsTo: ceoId, directReports: [], human: false });
  }
  people[0]!.directReports = people.slice(1).map((p) => p.matrixId);
  return new OrgDirectory(people, domain);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

const rssMiB = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);

/**
 * Registers `agents` agents on one OpenClawAgentRuntime, warms each once, hibernates them all (idle RSS), then runs
 * `turns` turns `concurrency` at a time with an instant scripted model that calls the people tool on every other
 * message. Run with --expose-gc for steadier RSS figures.
 */
export async function benchAgentRuntime(opts: BenchRuntimeOptions): Promise<BenchRuntimeResult> {
  const org = opts.org ?? syntheticOrg(opts.agents);
  const staff = org.all().filter((p: Person) => !p.human).slice(0, opts.agents);
  if (!staff.length) throw new Error('bench: the org has no agents');
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'bench-agents-'));
  const provider = new TimedProvider(new ScriptedProvider({
    rules: [
      { match: 'look up (.+)', toolCalls: [{ name: 'people', arguments: { action: 'search', query: '{{match.1}}' } }] },
      { when: 'tool', reply: 'Found: {{tool_result}}' },
    ],
  }));
  const services: AgentServices = { messageColleague: async () => ({ roomId: '!bench:local', eventId: '$bench' }) };
  const runtime = new OpenClawAgentRuntime({ org, dataDir, services, providerFor: () => provider, idleMs: 3_600_000, maxWarmAgents: staff.length + 1 });
  const gc = (globalThis as { gc?: () => void }).gc;
  let seq = 0;
  const input = (agent: Person, text: string): AgentTurnInput => ({
    agent, roomId: `!room${seq % 7}:bench`, isDirect: false, eventId: `$bench${++seq}`, text,
    sender: { id: '@ceo:bench', name: 'Casey Chief', human: true },
  });
  const timedTurn = async (agent: Person, text: string): Promise<number> => {
    const before = provider.modelMs.get(agent.matrixId) ?? 0;
    const start = performance.now();
    await runtime.turn(input(agent, text));
    return performance.now() - start - ((provider.modelMs.get(agent.matrixId) ?? 0) - before);
  };
  try {
    await timedTurn(staff[0]!, 'warm up'); // loads agent-core once for the process
    for (const agent of staff) await timedTurn(agent, 'hello, who are you?');
    for (const agent of staff) await runtime.hibernate(agent.matrixId);
    gc?.();
    const idleRss = rssMiB();

    const overhead: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < opts.turns) {
        const i = next++;
        overhead.push(await timedTurn(staff[i % staff.length]!, i % 2 ? `look up ${staff[(i + 1) % staff.length]!.name}` : `status update ${i}?`));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
    overhead.sort((a, b) => a - b);

    const firstTurns: number[] = [];
    for (const agent of staff.slice(0, Math.min(20, staff.length))) {
      await runtime.hibernate(agent.matrixId);
      firstTurns.push(await timedTurn(agent, 'back again?'));
    }
    firstTurns.sort((a, b) => a - b);
    gc?.();
    return {
      ...(staff.length >= 200 ? { idleRssMiB200: idleRss } : {}),
      overheadP50Ms: round(percentile(overhead, 0.5)),
      overheadP99Ms: round(percentile(overhead, 0.99)),
      hibernatedFirstTurnMs: round(percentile(firstTurns, 0.5)),
      rssMiB: rssMiB(),
    };
  } finally {
    await runtime.close();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
