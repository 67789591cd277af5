import type { OrgDirectory } from '../../org/directory.ts';
import { movedShare } from '../../protocol/placement.ts';
import type { BenchResult } from '../types.ts';
import { tidy } from '../stats.ts';

const shardIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `shard-${i}`);

/**
 * Share of the org's agents that change shard when one shard is added. Rendezvous placement should move about
 * 1/(N+1) of them (20% for 4→5, 11% for 8→9); a modulo hash would move nearly all.
 */
export function rescaleScenario(org: OrgDirectory): BenchResult[] {
  const agents = org.agents().map((p) => p.matrixId);
  return ([[4, 5], [8, 9]] as const).map(([from, to]) => ({
    scenario: 'rescale' as const,
    metric: `rescale.moved_pct_${from}_${to}`,
    value: tidy(movedShare(agents, shardIds(from), shardIds(to)) * 100),
    unit: '%',
    note: `ideal ${tidy(100 / to)}%`,
  }));
}
