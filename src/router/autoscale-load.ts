import type { Logger } from '../log.ts';
import { autoscaleDecisions, trackAutoscaler } from '../metrics/metrics.ts';
import type { Db } from '../store/sqlite.ts';
import type { ShardStatus } from '../protocol/wire.ts';
import { Autoscaler, type AutoscaleConfig, type AutoscalerStatus, type LoadSample } from './autoscaler.ts';
import type { ShardRegistry } from './shard-registry.ts';

export interface RouterLoadSources {
  db: Db;
  registry: ShardRegistry;
  claimTtlMs: number;
  draining: () => ReadonlySet<string>;
  /** One shard's status API (fleet-view-source fetchShardStatus); undefined when it did not answer. */
  status: (shardId: string, url: string) => Promise<ShardStatus | undefined>;
  now?: () => number;
}

/**
 * The autoscaler's load, from what the router already has: claims (turns in flight), the outbox (work handed over
 * and not started) and the shards' own status (warm agents). Read-only queries; nothing is stored for it.
 */
export function routerLoad(s: RouterLoadSources): () => Promise<LoadSample> {
  const now = s.now ?? Date.now;
  const inFlight = s.db.prepare('SELECT COUNT(*) AS n FROM claims WHERE renewed_at > ?');
  // Handed to a shard, and its agent runs nothing anywhere: it could start and has not (the shard is behind).
  // Work queued behind the same agent's running turn is not counted: another shard would not start it sooner.
  const oldestWaiting = s.db.prepare(`SELECT holder, MIN(handed_at) AS at FROM outbox o WHERE holder IS NOT NULL AND handed_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.agent_id = o.agent_id AND c.renewed_at > ?) GROUP BY holder`);
  return async () => {
    const t = now();
    const live = s.registry.list();
    const liveIds = new Set(live.map((e) => e.shardId));
    const statuses = await Promise.all(live.map((e) => s.status(e.shardId, e.url)));
    const warmAgents = statuses.every((st) => st !== undefined)
      ? statuses.reduce((n, st) => n + st!.agents.filter((a) => a.warm).length, 0)
      : undefined;
    const cutoff = t - s.claimTtlMs;
    // A dead holder's work waits for the hand-over to move it, not for more shards.
    const waitingSince = (oldestWaiting.all(cutoff) as Array<{ holder: string; at: number }>)
      .filter((r) => liveIds.has(r.holder)).map((r) => r.at);
    const throttled = statuses.some((st) => Array.isArray(st?.providers)
      && (st.providers as Array<{ pausedUntil?: unknown }>).some((p) => typeof p?.pausedUntil === 'number' && p.pausedUntil > t));
    return {
      liveShards: live.length,
      drainingShards: [...s.draining()].filter((id) => liveIds.has(id)).length,
      warmAgents,
      turnsInFlight: (inFlight.get(cutoff) as { n: number }).n,
      queueAgeMs: waitingSince.length === 0 ? 0 : Math.max(0, t - Math.min(...waitingSince)),
      ...(throttled ? { providerThrottled: true } : {}),
    };
  };
}

export interface RouterAutoscaler {
  /** `scale` as operators use it (`./fleet scale`, #fleet-admin): noted, so the autoscaler lets it hold. */
  scaleByHand(count: number): Promise<void>;
  status(): AutoscalerStatus;
  stop(): void;
}

/** The autoscaler of a router whose driver can scale, fed by routerLoad, its decisions counted in /metrics. */
export function startRouterAutoscaler(o: RouterLoadSources & { config: AutoscaleConfig; scale: (count: number) => Promise<void>; log: Logger }): RouterAutoscaler {
  const autoscaler = new Autoscaler({
    config: o.config, load: routerLoad(o), scale: o.scale, log: o.log,
    onDecision: (d) => autoscaleDecisions.inc({ direction: d.error ? 'failed' : d.to > d.from ? 'up' : 'down' }),
  });
  autoscaler.start();
  trackAutoscaler(() => autoscaler.status());
  o.log.info({ min: o.config.min, max: o.config.max }, 'autoscaler on');
  return {
    async scaleByHand(count) {
      await o.scale(count);
      autoscaler.noteManualScale(count);
    },
    status: () => autoscaler.status(),
    stop() {
      autoscaler.stop();
      trackAutoscaler(undefined);
    },
  };
}
