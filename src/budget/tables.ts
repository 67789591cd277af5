import type { Db } from '../store/sqlite.ts';

/**
 * The budget tables in the router's SQLite. Created here rather than among the router's numbered migrations: they
 * belong to this component alone, and IF NOT EXISTS makes creating them idempotent on every start.
 */
export function ensureBudgetTables(db: Db): void {
  db.exec(`
    -- What each turn cost, as reported by the shard that spent it. One row per (shard, delivery): a report sent
    -- again after a lost answer or a restart is ignored, never counted twice.
    CREATE TABLE IF NOT EXISTS budget_spend (
      shard_id TEXT NOT NULL, delivery_id TEXT NOT NULL, agent_id TEXT NOT NULL, month TEXT NOT NULL, at INTEGER NOT NULL,
      tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, PRIMARY KEY (shard_id, delivery_id));
    CREATE INDEX IF NOT EXISTS budget_spend_month ON budget_spend (month, agent_id);
    -- budget set: live limits that win over config. amount NULL: explicitly unlimited.
    CREATE TABLE IF NOT EXISTS budget_overrides (scope TEXT NOT NULL, unit TEXT NOT NULL CHECK (unit IN ('tokens', 'usd')),
      amount REAL, by TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (scope, unit));
    -- #fleet-admin was told that this scope went over this limit this month.
    CREATE TABLE IF NOT EXISTS budget_alerts (scope TEXT NOT NULL, month TEXT NOT NULL, limit_text TEXT NOT NULL, at INTEGER NOT NULL,
      PRIMARY KEY (scope, month, limit_text));
    -- The "over budget" notice, once per room, agent and day (like not_staffed_notices).
    CREATE TABLE IF NOT EXISTS budget_notices (room_id TEXT NOT NULL, agent_id TEXT NOT NULL, day TEXT NOT NULL,
      PRIMARY KEY (room_id, agent_id, day));
  `);
}

/** The calendar month (UTC) budgets count in: `2026-12`. */
export const utcMonth = (at: number): string => new Date(at).toISOString().slice(0, 7);
