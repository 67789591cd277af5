import type { Db } from '../store/sqlite.ts';
import { utcMonth } from './tables.ts';

/** One turn's spend as a shard reports it (protocol/wire.ts CompletionReport.usage). */
export interface TurnUsage {
  deliveryId: string;
  agentId: string;
  /** When the turn started (ms epoch): the month it counts in. */
  at: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface Spend { tokens: number; usd: number }

const ZERO: Spend = { tokens: 0, usd: 0 };
const add = (a: Spend | undefined, b: Spend): Spend => ({ tokens: (a?.tokens ?? 0) + b.tokens, usd: (a?.usd ?? 0) + b.usd });

/**
 * The monthly ledger: every turn's tokens and cost, keyed by (shard, delivery) so a report repeated after a lost
 * answer or a restart counts once. The current month's sums per agent, department and fleet are kept in memory
 * (rebuilt from SQLite at start and when the month turns), so the gate never scans the table.
 */
export class SpendLedger {
  private readonly db: Db;
  private readonly departmentOf: (agentId: string) => string | undefined;
  private readonly now: () => number;
  private readonly s;
  private month = '';
  private byAgent = new Map<string, Spend>();
  private byDepartment = new Map<string, Spend>();
  private fleet: Spend = ZERO;

  constructor(opts: { db: Db; departmentOf: (agentId: string) => string | undefined; now?: () => number }) {
    this.db = opts.db;
    this.departmentOf = opts.departmentOf;
    this.now = opts.now ?? Date.now;
    this.s = {
      insert: opts.db.prepare(`INSERT OR IGNORE INTO budget_spend (shard_id, delivery_id, agent_id, month, at, tokens, cost_usd)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
      monthSums: opts.db.prepare(`SELECT agent_id AS agentId, SUM(tokens) AS tokens, SUM(cost_usd) AS usd FROM budget_spend
        WHERE month = ? GROUP BY agent_id`),
      prune: opts.db.prepare('DELETE FROM budget_spend WHERE month < ?'),
    };
  }

  /** Records a shard's report; returns the turns counted now (repeats are left out). */
  record(shardId: string, usages: readonly TurnUsage[]): TurnUsage[] {
    this.roll();
    const fresh = this.db.transaction(() => usages.filter((u) => this.s.insert.run(shardId, u.deliveryId, u.agentId, utcMonth(u.at), u.at,
      u.inputTokens + u.outputTokens, u.costUsd).changes === 1))();
    for (const u of fresh) if (utcMonth(u.at) === this.month) this.count(u.agentId, { tokens: u.inputTokens + u.outputTokens, usd: u.costUsd });
    return fresh;
  }

  /** This month's spend of one agent, a department, or the fleet. */
  agent(agentId: string): Spend {
    this.roll();
    return this.byAgent.get(agentId) ?? ZERO;
  }

  department(name: string): Spend {
    this.roll();
    return this.byDepartment.get(name) ?? ZERO;
  }

  total(): Spend {
    this.roll();
    return this.fleet;
  }

  /** The month now counted in. */
  currentMonth(): string {
    this.roll();
    return this.month;
  }

  /** Keeps this month and the one before (a late report of last month's turn is still recognised), drops the rest. */
  prune(): number {
    const d = new Date(this.now());
    return this.s.prune.run(utcMonth(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1))).changes;
  }

  /** A new month starts from zero; the first call of a process loads the month so far. */
  private roll(): void {
    const month = utcMonth(this.now());
    if (month === this.month) return;
    this.month = month;
    this.byAgent = new Map();
    this.byDepartment = new Map();
    this.fleet = ZERO;
    for (const r of this.s.monthSums.all(month) as Array<{ agentId: string } & Spend>) this.count(r.agentId, { tokens: r.tokens, usd: r.usd });
  }

  private count(agentId: string, spend: Spend): void {
    this.byAgent.set(agentId, add(this.byAgent.get(agentId), spend));
    const dept = this.departmentOf(agentId);
    if (dept !== undefined) this.byDepartment.set(dept, add(this.byDepartment.get(dept), spend));
    this.fleet = add(this.fleet, spend);
  }
}
