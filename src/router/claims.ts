import type { ClaimAnswer, ClaimRequest } from '../protocol/wire.ts';
import type { Db } from '../store/sqlite.ts';
import type { Outbox } from './outbox.ts';
import type { ShardRegistry } from './shard-registry.ts';

interface ClaimRow { agentId: string; deliveryId: string; shardId: string; startedAt: number; renewedAt: number }

function prepare(db: Db) {
  return {
    byAgent: db.prepare('SELECT agent_id AS agentId, delivery_id AS deliveryId, shard_id AS shardId, started_at AS startedAt, renewed_at AS renewedAt FROM claims WHERE agent_id = ?'),
    all: db.prepare('SELECT agent_id AS agentId, delivery_id AS deliveryId, shard_id AS shardId, started_at AS startedAt, renewed_at AS renewedAt FROM claims'),
    put: db.prepare(`INSERT INTO claims (agent_id, delivery_id, shard_id, started_at, renewed_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (agent_id) DO UPDATE SET delivery_id = excluded.delivery_id, shard_id = excluded.shard_id,
      started_at = excluded.started_at, renewed_at = excluded.renewed_at`),
    renew: db.prepare('UPDATE claims SET renewed_at = ? WHERE delivery_id = ? AND shard_id = ? AND started_at = ?'),
    releaseDelivery: db.prepare('DELETE FROM claims WHERE delivery_id = ? AND shard_id = ?'),
    releaseProcess: db.prepare('DELETE FROM claims WHERE shard_id = ? AND started_at < ?'),
    releaseShard: db.prepare('DELETE FROM claims WHERE shard_id = ? AND started_at = ?'),
  };
}

/**
 * Who may work for an agent right now. A shard claims a delivery before the agent's turn (the model call is what
 * costs money) and before each Matrix action of it; the router grants the claim only to the shard it handed the
 * delivery to, and only when no other process holds a live claim for that agent. A claim lives `ttlMs` past its
 * last renewal (the holder's heartbeats renew it), so a shard paused for a while (GC, EFS stall, SIGSTOP) keeps its
 * turn instead of having it re-run elsewhere; the shard itself posts nothing once its claim may have lapsed.
 * A claim ends early when its delivery finishes, when the holder gives it back, or when a newer process of the
 * holder's shard id appears (the old one is gone).
 */
export class Claims {
  private readonly s: ReturnType<typeof prepare>;
  private readonly outbox: Outbox;
  private readonly registry: ShardRegistry;
  readonly ttlMs: number;

  constructor(db: Db, outbox: Outbox, registry: ShardRegistry, ttlMs: number) {
    this.s = prepare(db);
    this.outbox = outbox;
    this.registry = registry;
    this.ttlMs = ttlMs;
    registry.on('restarted', (shardId, startedAt) => this.s.releaseProcess.run(shardId, startedAt));
  }

  claim(req: ClaimRequest, now = Date.now()): ClaimAnswer {
    const newest = this.registry.newestProcess(req.shardId);
    if (newest === undefined) return { granted: false, reason: 'unknown-shard' };
    if (req.startedAt < newest) return { granted: false, reason: 'superseded' };
    const delivery = this.outbox.get(req.deliveryId);
    if (!delivery) return { granted: false, reason: 'done' };
    if (delivery.holder !== req.shardId) return { granted: false, reason: 'moved' };
    const held = this.s.byAgent.get(delivery.agentId) as ClaimRow | undefined;
    const mine = held && held.shardId === req.shardId && held.startedAt === req.startedAt;
    if (held && !mine && this.isLive(held, now)) return { granted: false, reason: 'busy' };
    this.s.put.run(delivery.agentId, req.deliveryId, req.shardId, req.startedAt, now);
    return { granted: true, ttlMs: this.ttlMs };
  }

  /** Heartbeats renew the claims their process still holds. */
  renew(shardId: string, startedAt: number, deliveryIds: readonly string[], now = Date.now()): void {
    for (const id of deliveryIds) this.s.renew.run(now, id, shardId, startedAt);
  }

  release(shardId: string, deliveryIds: readonly string[]): void {
    for (const id of deliveryIds) this.s.releaseDelivery.run(id, shardId);
  }

  /** A process that said goodbye holds nothing any more. */
  releaseProcess(shardId: string, startedAt: number): void {
    this.s.releaseShard.run(shardId, startedAt);
  }

  /** Deliveries under a live claim: the hand-over leaves them where they are. */
  claimedDeliveries(now = Date.now()): Set<string> {
    return new Set((this.s.all.all() as ClaimRow[]).filter((c) => this.isLive(c, now)).map((c) => c.deliveryId));
  }

  private isLive(c: ClaimRow, now: number): boolean {
    const newest = this.registry.newestProcess(c.shardId);
    if (newest !== undefined && newest > c.startedAt) return false;
    return c.renewedAt + this.ttlMs > now;
  }
}
