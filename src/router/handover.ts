import type { Logger } from '../log.ts';
import { routerMetrics } from '../metrics/metrics.ts';
import type { Delivery } from '../protocol/wire.ts';
import type { Claims } from './claims.ts';
import type { Outbox, OpenDelivery } from './outbox.ts';
import { DeliveryError, deliverToShard } from './shard-client.ts';
import type { ShardRegistry } from './shard-registry.ts';

export interface HandoverOptions {
  outbox: Outbox;
  claims: Claims;
  registry: ShardRegistry;
  /** The credential the router presents to a shard. */
  tokenFor: (shardId: string) => string;
  log: Logger;
  /**
   * After a router start nothing is handed until every live shard has had time to heartbeat: otherwise the first
   * shard to speak would win every agent, including work other shards are still doing.
   */
  startGraceMs: number;
  batchSize?: number;
  /** Agents an operator paused: their deliveries wait in the outbox, unhanded, until they are resumed. */
  isPaused?: (agentId: string) => boolean;
}

/**
 * Moves outbox rows to the shard that should do them: new work, work of shards that died, lost the agent on a
 * rescale or gave it back. A delivery under a live claim stays with its holder. Each shard is handed its share
 * independently, so one unreachable shard delays only its own agents; with no shard alive, work waits.
 */
export class Handover {
  private readonly o: Required<HandoverOptions>;
  private readonly startedAt = Date.now();
  private readonly backoff = new Map<string, { until: number; ms: number }>();
  private running: Promise<void> | undefined;
  private again = false;
  private readonly timer: NodeJS.Timeout;

  constructor(opts: HandoverOptions) {
    this.o = { batchSize: 200, isPaused: () => false, ...opts };
    this.timer = setInterval(() => this.kick(), 1000);
    this.timer.unref();
  }

  /** Runs a pass now, or right after the one in progress. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err: Error) => this.o.log.error({ err: err.message }, 'hand-over pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Which shard each open delivery should go to now, for those not already there. */
  plan(now = Date.now()): Map<string, OpenDelivery[]> {
    const byShard = new Map<string, OpenDelivery[]>();
    if (now - this.startedAt < this.o.startGraceMs) return byShard;
    const placement = this.o.registry.current();
    if (placement.shardIds.length === 0) return byShard;
    const claimed = this.o.claims.claimedDeliveries(now);
    for (const d of this.o.outbox.open()) {
      if (claimed.has(d.id) || this.o.isPaused(d.agentId)) continue;
      const owner = placement.shardFor(d.agentId);
      if (!owner || owner === d.holder) continue;
      const list = byShard.get(owner) ?? [];
      if (list.length < this.o.batchSize) list.push(d);
      byShard.set(owner, list);
    }
    return byShard;
  }

  private async pass(): Promise<void> {
    const now = Date.now();
    await Promise.all([...this.plan(now)].map(async ([shardId, work]) => {
      const wait = this.backoff.get(shardId);
      if (wait && wait.until > now) return;
      const url = this.o.registry.urlOf(shardId);
      if (!url) return;
      const previous = new Map(work.map((w) => [w.id, w.holder]));
      const ids = work.map((w) => w.id);
      // Recorded before sending: the shard may claim a delivery before its 200 reaches us.
      this.o.outbox.assign(ids, shardId);
      try {
        const deliveries: Delivery[] = this.o.outbox.payloads(ids);
        await deliverToShard(url, this.o.tokenFor(shardId), deliveries);
        this.backoff.delete(shardId);
        const moved = work.filter((w) => w.holder !== null).length;
        routerMetrics.deliveriesHanded.inc({ from: 'new' }, ids.length - moved);
        routerMetrics.deliveriesHanded.inc({ from: 'moved' }, moved);
        if (moved > 0) this.o.log.info({ shardId, moved }, 'handed work of another shard to the agents\' shard');
      } catch (err) {
        this.o.outbox.assign(ids, null, previous);
        routerMetrics.handoverFailures.inc({ shard: shardId });
        // A refusal a retry cannot fix (400: a shard of another version, a malformed delivery) is an operator's
        // problem: said loudly, retried slowly, never dropped. Unreachable or busy shards are retried quickly.
        const permanent = err instanceof DeliveryError && !err.retryable;
        const ms = permanent ? 60_000 : Math.min(10_000, (wait?.ms ?? 100) * 2);
        this.backoff.set(shardId, { until: Date.now() + ms, ms });
        const line = { shardId, deliveries: ids.length, retryInMs: ms, err: (err as Error).message };
        if (permanent) this.o.log.error(line, 'shard refused the deliveries; check that router and shards run the same version');
        else this.o.log.warn(line, 'could not hand work to shard; will retry');
      }
    }));
  }
}
