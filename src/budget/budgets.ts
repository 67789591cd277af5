import { txnId } from '../matrix/txn-id.ts';
import type { Logger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { Delivery } from '../protocol/wire.ts';
import type { RoomDayNotices } from '../router/not-staffed.ts';
import type { Db } from '../store/sqlite.ts';
import type { BudgetsConfig } from './config.ts';
import { SpendLedger, type Spend, type TurnUsage } from './ledger.ts';
import { BudgetLimits, UNITS, type EffectiveLimit, type ScopeKey, type Unit } from './limits.ts';
import { ensureBudgetTables } from './tables.ts';
import { describeAmount, overBudgetNotice, overBudgetAlert, scopeLabel } from './wording.ts';

/** Which budget stops an agent: its own, its department's or the fleet's, in the unit that ran out. */
export interface Verdict { scope: ScopeKey; unit: Unit; spent: number; limit: number }

export interface BudgetStatus { scope: ScopeKey; spent: Spend; limit: EffectiveLimit; over?: Verdict }

export interface BudgetsOptions {
  db: Db;
  org: OrgDirectory;
  config: BudgetsConfig;
  /** The day's "over budget" notice per room (RoomDayNotices on the budget_notices table). */
  notices: Pick<RoomDayNotices, 'offer' | 'idle' | 'prune'>;
  /** Posts to #fleet-admin as the bot with the given transaction id; false when the room does not exist (yet). */
  alert(text: string, txnId: string): Promise<boolean>;
  log: Logger;
  now?: () => number;
}

/**
 * Monthly budgets: the ledger of what shards spent, the limits (config, then `budget set`), and the gate. An agent
 * is over budget while its own, its department's or the fleet's spend this month has reached a limit; nothing is
 * stored for it, so only a new month or a raised limit lifts it (never `resume`).
 *
 * What the gate does: a message to an agent over budget is not handed to any shard, and not answered later
 * either (a held message would be answered, out of context, whenever the month turns); the sender gets one
 * notice per room and day. A shard asking to start a turn for it is told so in the claim's answer (overBudget)
 * and makes no model call. #fleet-admin hears once per scope, month and limit that a budget ran out.
 *
 * Spend lands when a shard reports the finished turn, so turns already running when a budget runs out still
 * finish: a limit can be passed by what was in flight.
 */
export class Budgets {
  readonly ledger: SpendLedger;
  readonly limits: BudgetLimits;
  private readonly o: BudgetsOptions;
  private readonly now: () => number;
  private readonly alerting = new Set<string>();
  private readonly s;
  private alerts: Promise<unknown> = Promise.resolve();

  constructor(opts: BudgetsOptions) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
    ensureBudgetTables(opts.db);
    this.ledger = new SpendLedger({ db: opts.db, departmentOf: (id) => opts.org.get(id)?.department, now: this.now });
    this.limits = new BudgetLimits({ db: opts.db, config: opts.config, org: opts.org });
    this.s = {
      alerted: opts.db.prepare('SELECT 1 FROM budget_alerts WHERE scope = ? AND month = ? AND limit_text = ?'),
      markAlerted: opts.db.prepare('INSERT OR IGNORE INTO budget_alerts (scope, month, limit_text, at) VALUES (?, ?, ?, ?)'),
      pruneAlerts: opts.db.prepare('DELETE FROM budget_alerts WHERE month < ?'),
    };
  }

  /** Why the agent may not start a turn now, or undefined when every budget it counts against has room. */
  overBudget(agentId: string): Verdict | undefined {
    const department = this.o.org.get(agentId)?.department;
    const scopes: ScopeKey[] = [`agent:${agentId}`, ...(department ? [`department:${department}` as const] : []), 'fleet'];
    for (const scope of scopes) {
      const over = this.overIn(scope);
      if (over) return over;
    }
    return undefined;
  }

  /** The routing gate: messages to agents over budget are dropped, each room gets the day's notice. */
  filter(deliveries: Delivery[]): Delivery[] {
    return deliveries.filter((d) => {
      const over = d.kind === 'message' ? this.overBudget(d.agentId) : undefined;
      if (over) this.decline(d, over);
      return !over;
    });
  }

  /** What the claim's answer adds for a delivery about to start a turn (routed before its agent went over). */
  claimFlags(d: Delivery | undefined): { overBudget?: true } {
    if (!d || d.kind !== 'message') return {};
    const over = this.overBudget(d.agentId);
    if (!over) return {};
    this.decline(d, over);
    return { overBudget: true };
  }

  /** A shard's report of finished turns; budgets that ran out with it are announced. */
  record(shardId: string, usages: readonly TurnUsage[]): void {
    const fresh = this.ledger.record(shardId, usages);
    for (const agentId of new Set(fresh.map((u) => u.agentId))) {
      const v = this.overBudget(agentId);
      if (v) this.announce(v);
    }
  }

  /** `budget set`: a live limit (null: unlimited); announces at once if the scope is over it. */
  set(scope: ScopeKey, unit: Unit, amount: number | null, by: string): BudgetStatus {
    this.limits.set(scope, unit, amount, by);
    return this.status(scope, true);
  }

  /** `budget set <scope> default`: back to the config's limits. */
  reset(scope: ScopeKey): BudgetStatus {
    this.limits.reset(scope);
    return this.status(scope, true);
  }

  status(scope: ScopeKey, announce = false): BudgetStatus {
    const over = this.overIn(scope);
    if (over && announce) this.announce(over);
    return { scope, spent: this.spentIn(scope), limit: this.limits.of(scope), ...(over ? { over } : {}) };
  }

  /** Announces every scope over budget that #fleet-admin has not heard about (at start, then periodically). */
  sweep(): void {
    for (const scope of this.limits.limitedScopes()) {
      const over = this.overIn(scope);
      if (over) this.announce(over);
    }
  }

  /** Retention: last month's spend stays (late reports), older goes; notices of days before yesterday. */
  prune(): void {
    this.ledger.prune();
    this.o.notices.prune(this.now());
    this.s.pruneAlerts.run(this.ledger.currentMonth());
  }

  /** Resolves when queued notices and alerts are out (tests, shutdown). */
  async idle(): Promise<void> {
    await this.alerts;
    await this.o.notices.idle();
  }

  private spentIn(scope: ScopeKey): Spend {
    if (scope === 'fleet') return this.ledger.total();
    if (scope.startsWith('department:')) return this.ledger.department(scope.slice('department:'.length));
    return this.ledger.agent(scope.slice('agent:'.length));
  }

  private overIn(scope: ScopeKey): Verdict | undefined {
    const limit = this.limits.of(scope);
    const spent = this.spentIn(scope);
    for (const unit of UNITS) {
      const max = limit[unit];
      if (max !== undefined && spent[unit] >= max) return { scope, unit, spent: spent[unit], limit: max };
    }
    return undefined;
  }

  private decline(d: Delivery, over: Verdict): void {
    this.o.notices.offer(d, () => overBudgetNotice(this.o.org, over));
  }

  private announce(v: Verdict): void {
    const month = this.ledger.currentMonth();
    const limitText = `${v.unit}:${v.limit}`;
    const key = `${v.scope}\0${month}\0${limitText}`;
    if (this.alerting.has(key) || this.s.alerted.get(v.scope, month, limitText)) return;
    this.alerting.add(key);
    const text = overBudgetAlert(this.o.org, v, month);
    this.alerts = this.alerts.then(async () => {
      try {
        if (await this.o.alert(text, txnId('budget-alert', v.scope, month, limitText))) this.s.markAlerted.run(v.scope, month, limitText, this.now());
        else this.o.log.warn({ scope: v.scope }, 'budget ran out but #fleet-admin does not exist; admins are told once it does');
      } catch (err) {
        this.o.log.warn({ scope: v.scope, err: (err as Error).message }, 'could not tell #fleet-admin that a budget ran out; will try again');
      } finally {
        this.alerting.delete(key);
      }
      this.o.log.info({ scope: v.scope, unit: v.unit, spent: describeAmount(v.unit, v.spent), limit: describeAmount(v.unit, v.limit), label: scopeLabel(this.o.org, v.scope) },
        'over budget: agents paused until the month ends or the budget is raised');
    });
  }
}
