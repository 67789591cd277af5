import { describe, expect, it } from 'vitest';
import type { AgentRuntime } from '../../../src/agents/runtime.ts';
import { deliveryUsage } from '../../../src/budget/shard-usage.ts';
import type { AgentMatrix } from '../../../src/matrix/agent-actions.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { AgentHost, OPEN_GATE } from '../../../src/shard/agent-host.ts';
import type { Delivery } from '../../../src/protocol/wire.ts';
import { ShardStore } from '../../../src/shard/store.ts';
import { logger } from '../../../src/log.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const agent = org.agents()[3]!;
const ceo = org.humans()[0]!;

/** A shard's host whose router says, for the deliveries listed, that the agent is over budget. */
function shardWith(overBudget: ReadonlySet<string>) {
  const store = new ShardStore(':memory:');
  const posted: string[] = [];
  let modelCalls = 0;
  const matrix = { typing: async () => {}, send: async (_a: string, _r: string, c: Record<string, unknown>) => { posted.push(String(c.body)); return '$x'; } } as unknown as AgentMatrix;
  const runtime = { kind: 'fake', hibernate: async () => {}, close: async () => {},
    turn: async () => { modelCalls++; return { reply: 'answer', toolActivity: [], usage: { inputTokens: 30, outputTokens: 12 }, provider: 'fake', model: 'fake' }; } } as AgentRuntime;
  const host = new AgentHost({ org, store, matrix, runtime, log: logger, maxHops: 6, maxInputChars: 100, maxReplyChars: 100,
    costOf: () => 0.001, gate: { ...OPEN_GATE, overBudget: (id) => overBudget.has(id) } });
  return { host, store, posted, calls: () => modelCalls };
}

const message = (eventId: string, reply?: string): Delivery => ({
  id: `message:${agent.matrixId}:${eventId}`, kind: 'message', agentId: agent.matrixId, roomId: '!r:x', room: { isDirect: true },
  event: { event_id: eventId, room_id: '!r:x', sender: ceo.matrixId, type: 'm.room.message', content: { msgtype: 'm.text', body: 'hi' } },
  ...(reply ? { reply } : {}),
});

describe('shard budget gate (defence in depth)', () => {
  it('makes no model call for a delivery the router says is over budget, yet posts a reply already paid for', async () => {
    const over = message('$over');
    const paid = message('$paid', 'the paid reply');
    const s = shardWith(new Set([over.id, paid.id]));
    s.host.accept([over, paid]);
    await s.host.idle();
    expect(s.calls()).toBe(0);
    expect(s.posted).toEqual(['the paid reply']);
    expect(s.store.unreported()).toEqual(expect.arrayContaining([{ id: over.id, state: 'skipped', reply: null }]));
  });

  it('reports what each finished delivery cost, from the turns saved with the reply', async () => {
    const d = message('$fine');
    const s = shardWith(new Set());
    s.host.accept([d, message('$other')]);
    await s.host.idle();
    expect(s.calls()).toBe(2);
    expect(deliveryUsage(s.store.db, [d.id])).toEqual([{ deliveryId: d.id, agentId: agent.matrixId, at: expect.any(Number), inputTokens: 30, outputTokens: 12, costUsd: 0.001 }]);
    expect(deliveryUsage(s.store.db, [])).toEqual([]);
  });
});
