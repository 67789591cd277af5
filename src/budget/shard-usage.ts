import type { Db } from '../store/sqlite.ts';
import type { TurnUsage } from './ledger.ts';

/**
 * The spend of finished deliveries, read from the shard's own turns table (saved with each reply in one commit):
 * what the completion report carries to the router's ledger. Turns that cost nothing are left out.
 */
export function deliveryUsage(db: Db, deliveryIds: readonly string[]): TurnUsage[] {
  if (deliveryIds.length === 0) return [];
  const out: TurnUsage[] = [];
  const stmt = db.prepare(`SELECT delivery_id AS deliveryId, agent_id AS agentId, MIN(at) AS at, SUM(input_tokens) AS inputTokens,
    SUM(output_tokens) AS outputTokens, SUM(cost_usd) AS costUsd FROM turns WHERE delivery_id IN (SELECT value FROM json_each(?))
    GROUP BY delivery_id, agent_id`);
  for (const r of stmt.all(JSON.stringify(deliveryIds)) as TurnUsage[]) {
    if (r.inputTokens + r.outputTokens > 0 || r.costUsd > 0) out.push(r);
  }
  return out;
}

/** A usage entry as it arrives from a shard: checked before it reaches the ledger. */
export function isTurnUsage(u: unknown): u is TurnUsage {
  const x = u as Partial<TurnUsage>;
  const count = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  return typeof x?.deliveryId === 'string' && typeof x.agentId === 'string' && typeof x.at === 'number' && Number.isFinite(x.at)
    && count(x.inputTokens) && count(x.outputTokens) && count(x.costUsd);
}
