import { describe, expect, it } from 'vitest';
import { movedShare, placeAgent, Placement } from '../../../src/protocol/placement.ts';

const agents = Array.from({ length: 1000 }, (_, i) => `@agent${i}:anycompany.corp`);
const shards = (n: number) => Array.from({ length: n }, (_, i) => `shard-${i}`);

describe('rendezvous placement', () => {
  it('is deterministic and independent of the order shards are listed in', () => {
    for (const a of agents.slice(0, 50)) expect(placeAgent(a, shards(5))).toBe(placeAgent(a, [...shards(5)].reverse()));
  });

  it('spreads agents roughly evenly', () => {
    const counts = new Map<string, number>();
    for (const a of agents) counts.set(placeAgent(a, shards(4))!, (counts.get(placeAgent(a, shards(4))!) ?? 0) + 1);
    // Every shard is checked, including one that got nobody at all.
    for (const s of shards(4)) expect(counts.get(s) ?? 0).toBeGreaterThan(180);
  });

  it('moves only the agents the new shard wins when one is added', () => {
    for (const n of [3, 4, 8]) {
      const before = shards(n);
      const after = shards(n + 1);
      for (const a of agents) {
        const to = placeAgent(a, after);
        if (to !== placeAgent(a, before)) expect(to).toBe(`shard-${n}`);
      }
      expect(movedShare(agents, before, after)).toBeLessThan(1.6 / (n + 1));
    }
  });

  it('moves only the removed shard\'s agents when one leaves', () => {
    const before = shards(4);
    const after = before.filter((s) => s !== 'shard-2');
    for (const a of agents) if (placeAgent(a, before) !== 'shard-2') expect(placeAgent(a, after)).toBe(placeAgent(a, before));
  });

  it('has no shard for anybody when none is live', () => {
    expect(new Placement([]).shardFor(agents[0]!)).toBeUndefined();
  });
});
