/** One measured figure. `value` is null when the scenario could not run here (`note` says why). */
export interface BenchResult {
  scenario: ScenarioName;
  metric: string;
  value: number | null;
  unit: string;
  note?: string;
}

export interface MachineInfo {
  cores: number;
  memoryGiB: number;
  cpuModel: string;
  node: string;
}

export interface BenchReport {
  date: string;
  machine: MachineInfo;
  versions: { fleet: string; synapse: string; openclaw: string };
  /** 'full' or 'quick' (or 'custom' when sizes were given by a caller such as the smoke test). */
  mode: string;
  results: BenchResult[];
}

export const SCENARIOS = ['routing', 'latency', 'throughput', 'capacity', 'provisioning', 'rescale', 'scale', 'idle'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Scenarios that talk to a homeserver, and so need the bench's own Synapse and a running fleet. */
export const NEEDS_FLEET: ReadonlySet<ScenarioName> = new Set(['latency', 'throughput']);

/** How much work each scenario does. `full` and `quick` are the CLI's; tests pass smaller ones. */
export interface BenchSizes {
  routing: { events: number };
  latency: { messages: number; messages3Shards: number; agents: number; baselineMessages: number };
  throughput: { agents: number; messages: number };
  capacity: { turns: number; activeRounds: number };
  /** A large org over many shard processes, rescaled live (scenarios/scale.ts); absent: the scenario is skipped. */
  scale?: ScaleSizes;
  /** The heartbeat's idle cost on a simulated clock (scenarios/idle.ts); absent: the scenario is skipped. */
  idle?: IdleSizes;
}

export interface IdleSizes { agentsWithTasks: number }

export interface ScaleSizes { employees: number; shards: number; shardsAfter: number; firstContacts: number; writers: number }

export const FULL_SIZES: BenchSizes = {
  routing: { events: 200_000 },
  latency: { messages: 200, messages3Shards: 200, agents: 12, baselineMessages: 200 },
  throughput: { agents: 32, messages: 640 },
  capacity: { turns: 640, activeRounds: 20 },
  scale: { employees: 10_000, shards: 8, shardsAfter: 12, firstContacts: 50, writers: 16 },
  idle: { agentsWithTasks: 20 },
};

export const QUICK_SIZES: BenchSizes = {
  routing: { events: 40_000 },
  latency: { messages: 30, messages3Shards: 30, agents: 6, baselineMessages: 30 },
  throughput: { agents: 16, messages: 160 },
  capacity: { turns: 128, activeRounds: 5 },
  scale: { employees: 2000, shards: 4, shardsAfter: 6, firstContacts: 10, writers: 6 },
  idle: { agentsWithTasks: 20 },
};
