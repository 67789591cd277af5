import { describe, expect, it } from 'vitest';
import { Budgets } from '../../../src/budget/budgets.ts';
import type { BudgetsConfig } from '../../../src/budget/config.ts';
import type { TurnUsage } from '../../../src/budget/ledger.ts';
import { ensureBudgetTables } from '../../../src/budget/tables.ts';
import { parseAmount } from '../../../src/admin/commands/budget.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { deliveryId, type Delivery } from '../../../src/protocol/wire.ts';
import { RoomDayNotices } from '../../../src/router/not-staffed.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { componentLogger } from '../../../src/log.ts';
import type { Db } from '../../../src/store/sqlite.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const [a, b] = org.agents().filter((p) => p.department === 'Engineering');
const other = org.agents().find((p) => p.department !== 'Engineering')!;
const DEC = Date.UTC(2026, 11, 3, 12);
const JAN = Date.UTC(2027, 0, 1, 0, 5);

let n = 0;
const use = (agentId: string, tokens: number, at = DEC, costUsd = 0): TurnUsage =>
  ({ deliveryId: `message:${agentId}:$u${++n}`, agentId, at, inputTokens: tokens - Math.floor(tokens / 2), outputTokens: Math.floor(tokens / 2), costUsd });
const msg = (agentId: string, roomId = '!r:x'): Delivery => {
  const eventId = `$m${++n}`;
  return { id: deliveryId('message', agentId, eventId), kind: 'message', agentId, roomId, room: { isDirect: true },
    event: { event_id: eventId, room_id: roomId, sender: '@morgan.blake:anycompany.corp', type: 'm.room.message', content: { body: 'hi' } } };
};

function setup(config: Partial<BudgetsConfig> = {}, db: Db = openRouterStore(':memory:')) {
  const clock = { now: DEC };
  const sent: Array<{ agentId: string; roomId: string; body: string }> = [];
  const alerts: string[] = [];
  ensureBudgetTables(db);
  const notices = new RoomDayNotices({ db, table: 'budget_notices', kind: 'budget', log: componentLogger('test'), now: () => clock.now,
    send: async (agentId, roomId, content) => { sent.push({ agentId, roomId, body: String(content.body) }); return '$n'; } });
  const budgets = new Budgets({ db, org, notices, log: componentLogger('test'), now: () => clock.now,
    config: { fleet: {}, perAgent: {}, departments: {}, agents: {}, ...config },
    alert: async (text) => { alerts.push(text); return true; } });
  return { budgets, sent, alerts, clock, db };
}

describe('budget ledger', () => {
  it('counts a repeated report once (same shard and delivery), another shard\'s spend separately', () => {
    const { budgets } = setup();
    const u = use(a!.matrixId, 100);
    budgets.record('shard-0', [u]);
    budgets.record('shard-0', [u]);
    expect(budgets.ledger.agent(a!.matrixId).tokens).toBe(100);
    budgets.record('shard-1', [u]);
    expect(budgets.ledger.agent(a!.matrixId).tokens).toBe(200);
  });

  it('sums agents into their department and the fleet, and survives a restart', () => {
    const db = openRouterStore(':memory:');
    const first = setup({}, db);
    first.budgets.record('shard-0', [use(a!.matrixId, 10, DEC, 0.5), use(b!.matrixId, 20), use(other.matrixId, 5)]);
    const again = setup({}, db).budgets;
    expect(again.ledger.department('Engineering')).toEqual({ tokens: 30, usd: 0.5 });
    expect(again.ledger.total().tokens).toBe(35);
  });

  it('starts every calendar month (UTC) from zero; last month\'s late report does not count in the new one', () => {
    const { budgets, clock } = setup({ perAgent: { tokens: 50 } });
    budgets.record('shard-0', [use(a!.matrixId, 60)]);
    expect(budgets.overBudget(a!.matrixId)?.scope).toBe(`agent:${a!.matrixId}`);
    clock.now = JAN;
    expect(budgets.overBudget(a!.matrixId)).toBeUndefined();
    budgets.record('shard-0', [use(a!.matrixId, 60, DEC)]);
    expect(budgets.ledger.agent(a!.matrixId).tokens).toBe(0);
    expect(budgets.ledger.currentMonth()).toBe('2027-01');
  });
});

describe('budget scopes and limits', () => {
  it('pauses an agent over its own, its department\'s or the fleet\'s budget', () => {
    const own = setup({ agents: { [a!.localpart]: { tokens: 10 } } }).budgets;
    own.record('shard-0', [use(a!.matrixId, 10)]);
    expect(own.overBudget(a!.matrixId)).toMatchObject({ scope: `agent:${a!.matrixId}`, unit: 'tokens', spent: 10, limit: 10 });
    expect(own.overBudget(b!.matrixId)).toBeUndefined();

    const dept = setup({ departments: { Engineering: { usd: 1 } } }).budgets;
    dept.record('shard-0', [use(a!.matrixId, 1, DEC, 0.6), use(b!.matrixId, 1, DEC, 0.6)]);
    expect(dept.overBudget(b!.matrixId)?.scope).toBe('department:Engineering');
    expect(dept.overBudget(other.matrixId)).toBeUndefined();

    const fleet = setup({ fleet: { tokens: 100 } }).budgets;
    fleet.record('shard-0', [use(other.matrixId, 100)]);
    expect(fleet.overBudget(a!.matrixId)?.scope).toBe('fleet');
  });

  it('live limits win over config, per unit; none lifts a limit, default brings the config back; they survive a restart', () => {
    const db = openRouterStore(':memory:');
    const { budgets } = setup({ perAgent: { tokens: 10, usd: 5 } }, db);
    budgets.record('shard-0', [use(a!.matrixId, 20)]);
    const scope = `agent:${a!.matrixId}` as const;
    expect(budgets.overBudget(a!.matrixId)).toBeDefined();
    budgets.set(scope, 'tokens', 1000, 'admin');
    expect(budgets.overBudget(a!.matrixId)).toBeUndefined();
    expect(budgets.limits.of(scope)).toMatchObject({ tokens: 1000, usd: 5, source: { tokens: 'live', usd: 'config' } });
    expect(setup({ perAgent: { tokens: 10 } }, db).budgets.overBudget(a!.matrixId)).toBeUndefined();
    budgets.set(scope, 'tokens', null, 'admin');
    expect(budgets.limits.of(scope).tokens).toBeUndefined();
    budgets.reset(scope);
    expect(budgets.overBudget(a!.matrixId)).toBeDefined();
  });
});

describe('budget gate', () => {
  it('drops messages to an agent over budget with one notice per room and day; invites pass; others are answered', async () => {
    const { budgets, sent, clock } = setup({ agents: { [a!.localpart]: { tokens: 1 } } });
    budgets.record('shard-0', [use(a!.matrixId, 5)]);
    const invite: Delivery = { ...msg(a!.matrixId), kind: 'invite' };
    const kept = budgets.filter([msg(a!.matrixId), msg(a!.matrixId), msg(a!.matrixId, '!other:x'), invite, msg(b!.matrixId)]);
    expect(kept.map((d) => [d.kind, d.agentId])).toEqual([['invite', a!.matrixId], ['message', b!.matrixId]]);
    await budgets.idle();
    expect(sent.map((s) => s.roomId).sort()).toEqual(['!other:x', '!r:x']);
    expect(sent[0]!.agentId).toBe(a!.matrixId);
    expect(sent[0]!.body).toContain('budget');
    budgets.filter([msg(a!.matrixId)]);
    await budgets.idle();
    expect(sent).toHaveLength(2);
    clock.now += 24 * 3600_000;
    budgets.filter([msg(a!.matrixId)]);
    await budgets.idle();
    expect(sent).toHaveLength(3);
  });

  it('tells a shard claiming a message of an agent over budget to make no model call', () => {
    const { budgets } = setup({ agents: { [a!.localpart]: { tokens: 1 } } });
    const before = msg(a!.matrixId);
    expect(budgets.claimFlags(before)).toEqual({});
    budgets.record('shard-0', [use(a!.matrixId, 5)]);
    expect(budgets.claimFlags(before)).toEqual({ overBudget: true });
    expect(budgets.claimFlags({ ...before, kind: 'invite' })).toEqual({});
    expect(budgets.claimFlags(msg(b!.matrixId))).toEqual({});
  });

  it('tells #fleet-admin once per scope, month and limit when a budget runs out', async () => {
    const { budgets, alerts } = setup({ departments: { Engineering: { tokens: 10 } } });
    budgets.record('shard-0', [use(a!.matrixId, 6), use(b!.matrixId, 6)]);
    budgets.record('shard-0', [use(b!.matrixId, 6)]);
    budgets.sweep();
    await budgets.idle();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain('Engineering');
    budgets.set('department:Engineering', 'tokens', 20, 'admin');
    budgets.record('shard-0', [use(b!.matrixId, 6)]);
    await budgets.idle();
    expect(alerts).toHaveLength(2);
  });
});

describe('budget set amounts', () => {
  it.each([
    [['$50'], { unit: 'usd', amount: 50 }], [['12.5', 'usd'], { unit: 'usd', amount: 12.5 }],
    [['200k', 'tokens'], { unit: 'tokens', amount: 200_000 }], [['1.5M', 'tokens'], { unit: 'tokens', amount: 1_500_000 }],
    [['none'], { unit: 'both', amount: null }], [['default'], 'default'], [['lots'], undefined],
  ])('%j', (words, want) => expect(parseAmount(words)).toEqual(want));
});
