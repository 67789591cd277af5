import type { AdminContext } from '../../../src/admin/context.ts';
import { AuditLog } from '../../../src/admin/audit.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { OperatorControls } from '../../../src/router/controls.ts';
import type { AgentView, FleetView, ShardView, TurnRecord } from '../../../src/router/fleet-view.ts';
import { openRouterStore } from '../../../src/router/store.ts';

export const D = 'anycompany.corp';
export const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
export const CEO = '@morgan.blake:anycompany.corp';
/** A human of the org who is not an admin. */
export const READER = org.humans().find((p) => p.reportsTo !== null)?.matrixId ?? '';

export const shardViews: ShardView[] = [
  { shardId: 'shard-0', url: 'http://a', startedAt: 0, lastSeenAt: Date.now(), unfinished: 2, placedAgents: 600, restarts: 0, reachable: true },
  { shardId: 'shard-1', url: 'http://b', startedAt: 0, lastSeenAt: Date.now(), unfinished: 0, placedAgents: 400, restarts: 1, reachable: true },
];

export const busyAgent = org.agents()[3]!;

export function turn(over: Partial<TurnRecord> = {}): TurnRecord {
  return { id: `shard-0:${Math.random()}`, at: Date.now() - 1000, shardId: 'shard-0', agentId: busyAgent.matrixId, senderId: CEO, roomId: '!dm:x', eventId: '$1',
    latencyMs: 120, provider: 'openai', model: 'scripted', inputTokens: 100, outputTokens: 20, costUsd: 0.0012, outcome: 'replied', ...over };
}

export function fakeView(turns: TurnRecord[] = [turn(), turn({ outcome: 'failed', error: 'model said no: Bearer sk-abc123 rejected' })]): FleetView {
  return {
    shards: async () => shardViews,
    agents: async () => org.agents().map((p, i): AgentView => ({
      agentId: p.matrixId, name: p.name, title: p.title, department: p.department, live: true, shardId: i % 2 ? 'shard-1' : 'shard-0',
      warm: p.matrixId === busyAgent.matrixId, queued: 0, turns: p.matrixId === busyAgent.matrixId ? 2 : 0,
      inputTokens: p.matrixId === busyAgent.matrixId ? 200 : 0, outputTokens: p.matrixId === busyAgent.matrixId ? 40 : 0,
      costUsd: p.matrixId === busyAgent.matrixId ? 0.0024 : 0,
    })),
    activity: async () => turns,
    inbox: () => ({ pending: 1, done: 5, failed: 0 }),
  };
}

export function adminContext(over: Partial<AdminContext> = {}): AdminContext & { scaled: number[]; replayed: Array<number | 'all'> } {
  const db = openRouterStore(':memory:');
  const scaled: number[] = [];
  const replayed: Array<number | 'all'> = [];
  return {
    org, view: fakeView(), controls: new OperatorControls({ db, agents: org.agents().map((p) => p.matrixId) }), audit: new AuditLog(db),
    parked: () => [], replay: (target) => { replayed.push(target); return 0; }, waiting: () => 0,
    scale: async (n) => { scaled.push(n); }, canStop: () => true, scaled, replayed, ...over,
  };
}
