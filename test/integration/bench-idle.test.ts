import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idleScenario } from '../../src/bench/scenarios/idle.ts';
import { fleetContext, orgFor } from '../../src/cli/context.ts';

/**
 * `./fleet bench idle` on a small scale: the whole generated org live on the bench's own Synapse, one simulated hour
 * each with the heartbeat off (default), on for every level with no open task, and on with three agents holding one
 * open task each, then off again with those tasks open. Model calls are every request the scripted model records in the hour.
 */
describe('./fleet bench idle', () => {
  it('an idle hour costs no model call by default or with the heartbeat on; three agents with a task cost 3 × 12', async () => {
    const ctx = fleetContext();
    const instance = `${process.env.FLEET_TEST_INSTANCE ?? 'vitest'}-bench`;
    const workDir = mkdtempSync(join(tmpdir(), 'fleet-bench-idle-'));
    try {
      const rows = await idleScenario({ config: ctx.config, cacheDir: ctx.cacheDir, instance, workDir, org: orgFor(ctx.config, ctx.root),
        sizes: { agentsWithTasks: 3 }, progress: () => {} });
      const value = (metric: string) => rows.find((r) => r.metric === metric)?.value;
      expect(value('agent.idle_calls_per_hour')).toBe(0);
      expect(value('agent.idle_calls_per_hour_heartbeat_on')).toBe(0);
      expect(value('agent.heartbeat_calls_per_hour_open_tasks')).toBe(36);
      expect(rows.find((r) => r.metric === 'agent.heartbeat_calls_per_hour_open_tasks')!.note).toContain('36 heartbeat turns');
      expect(value('agent.heartbeat_tokens_per_hour_open_tasks')).toBeGreaterThan(36 * 100);
      expect(value('agent.idle_calls_per_hour_default_open_tasks')).toBe(0);
      expect(value('agent.seed_calls_per_hour')).toBe(orgFor(ctx.config, ctx.root).size * 12);
      expect(rows.every((r) => r.scenario === 'idle')).toBe(true);
      expect(existsSync(join(ctx.cacheDir, 'synapse-root', 'srv', `${instance}-idle`))).toBe(false);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }, 180_000);
});
