import type { OrgDirectory } from '../org/directory.ts';
import type { Db } from '../store/sqlite.ts';
import type { BudgetLimit, BudgetsConfig } from './config.ts';

export type Unit = 'tokens' | 'usd';
export const UNITS: readonly Unit[] = ['tokens', 'usd'];

/** What a budget applies to: `fleet`, `department:<name>` or `agent:<matrix id>`. */
export type ScopeKey = 'fleet' | `department:${string}` | `agent:${string}`;

/** A limit per unit (undefined: not limited) and where each came from. */
export interface EffectiveLimit {
  tokens?: number;
  usd?: number;
  source: Record<Unit, 'config' | 'live' | 'none'>;
}

/**
 * Monthly limits per scope: config `budgets` is the default, `budget set` overrides in the router's SQLite win
 * (per unit: raising the USD limit keeps a token limit). An override of "none" lifts the config's limit.
 */
export class BudgetLimits {
  private readonly config: BudgetsConfig;
  private readonly org: OrgDirectory;
  private readonly s;
  private overrides = new Map<string, number | null>();

  constructor(opts: { db: Db; config: BudgetsConfig; org: OrgDirectory }) {
    this.config = opts.config;
    this.org = opts.org;
    const db = opts.db;
    this.s = {
      set: db.prepare(`INSERT INTO budget_overrides (scope, unit, amount, by, at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (scope, unit) DO UPDATE SET amount = excluded.amount, by = excluded.by, at = excluded.at`),
      clear: db.prepare('DELETE FROM budget_overrides WHERE scope = ?'),
      all: db.prepare('SELECT scope, unit, amount FROM budget_overrides'),
    };
    for (const r of this.s.all.all() as Array<{ scope: string; unit: Unit; amount: number | null }>) this.overrides.set(`${r.scope}\0${r.unit}`, r.amount);
  }

  of(scope: ScopeKey): EffectiveLimit {
    const configured = this.configured(scope);
    const out: EffectiveLimit = { source: { tokens: 'none', usd: 'none' } };
    for (const unit of UNITS) {
      const key = `${scope}\0${unit}`;
      const value = this.overrides.has(key) ? this.overrides.get(key)! : configured?.[unit];
      if (value === null || value === undefined) {
        out.source[unit] = this.overrides.has(key) ? 'live' : 'none';
        continue;
      }
      out[unit] = value;
      out.source[unit] = this.overrides.has(key) ? 'live' : 'config';
    }
    return out;
  }

  /** A live limit for one unit; null: unlimited whatever the config says. */
  set(scope: ScopeKey, unit: Unit, amount: number | null, by: string): void {
    this.s.set.run(scope, unit, amount, by, Date.now());
    this.overrides.set(`${scope}\0${unit}`, amount);
  }

  /** Drops the live limits of a scope: config applies again. Returns whether there were any. */
  reset(scope: ScopeKey): boolean {
    const had = UNITS.some((u) => this.overrides.delete(`${scope}\0${u}`));
    this.s.clear.run(scope);
    return had;
  }

  /** Every scope that has a limit somewhere (config or live), for the over-budget sweep. */
  limitedScopes(): ScopeKey[] {
    const scopes = new Set<ScopeKey>(['fleet']);
    for (const name of Object.keys(this.config.departments)) scopes.add(`department:${name}`);
    const perAgent = this.config.perAgent.tokens !== undefined || this.config.perAgent.usd !== undefined;
    for (const p of this.org.agents()) if (perAgent || this.agentEntry(p.matrixId, p.localpart)) scopes.add(`agent:${p.matrixId}`);
    for (const key of this.overrides.keys()) scopes.add(key.split('\0')[0] as ScopeKey);
    return [...scopes];
  }

  private configured(scope: ScopeKey): BudgetLimit | undefined {
    if (scope === 'fleet') return this.config.fleet;
    if (scope.startsWith('department:')) return this.config.departments[scope.slice('department:'.length)];
    const agentId = scope.slice('agent:'.length);
    const p = this.org.get(agentId);
    return (p && this.agentEntry(p.matrixId, p.localpart)) ?? this.config.perAgent;
  }

  private agentEntry(matrixId: string, localpart: string): BudgetLimit | undefined {
    return this.config.agents[matrixId] ?? this.config.agents[localpart];
  }
}
