import { EventEmitter } from 'node:events';
import { Placement } from '../protocol/placement.ts';
import type { ShardAnnouncement } from '../protocol/wire.ts';
import { componentLogger } from '../log.ts';

const log = componentLogger('shard-registry');

export interface ShardEntry { shardId: string; url: string; startedAt: number; lastSeen: number; restarts: number }

export type HeartbeatOutcome = 'joined' | 'renewed' | 'restarted' | 'superseded';

/**
 * Live shards, as told by their heartbeats. A shard silent for `deadAfterMs` leaves placement, so its agents'
 * pending events go to the shard that wins them next; when it comes back it wins them back. One process per shard
 * id counts: a heartbeat from a process older than the one known is refused (that process must stop).
 */
export class ShardRegistry extends EventEmitter<{ change: [Placement]; restarted: [shardId: string, startedAt: number]; silent: [ShardEntry] }> {
  private readonly shards = new Map<string, ShardEntry>();
  /** The newest process seen per shard id, kept after the shard leaves so an old process cannot come back. */
  private readonly newest = new Map<string, number>();
  private readonly restartCounts = new Map<string, number>();
  private placement = new Placement([]);
  /** Shards an operator is draining (controls.ts): live, finishing their turns, but placed no agents. */
  private excluded: ReadonlySet<string> = new Set();
  private readonly timer: NodeJS.Timeout;
  private readonly deadAfterMs: number;

  constructor(deadAfterMs: number) {
    super();
    this.deadAfterMs = deadAfterMs;
    this.timer = setInterval(() => this.expire(), Math.max(200, Math.floor(deadAfterMs / 4)));
    this.timer.unref();
  }

  heartbeat(a: ShardAnnouncement): HeartbeatOutcome {
    const newest = this.newest.get(a.shardId);
    if (newest !== undefined && a.startedAt < newest) return 'superseded';
    const known = this.shards.get(a.shardId);
    const restarts = this.restartCounts.get(a.shardId) ?? 0;
    const restarted = newest !== undefined && a.startedAt > newest;
    if (restarted) this.restartCounts.set(a.shardId, restarts + 1);
    this.newest.set(a.shardId, a.startedAt);
    this.shards.set(a.shardId, { shardId: a.shardId, url: a.url, startedAt: a.startedAt, lastSeen: Date.now(), restarts: this.restartCounts.get(a.shardId) ?? 0 });
    if (restarted) {
      log.info({ shardId: a.shardId, url: a.url }, 'shard restarted');
      this.emit('restarted', a.shardId, a.startedAt);
    }
    if (!known) {
      log.info({ shardId: a.shardId, url: a.url }, 'shard joined');
      this.recompute();
      return restarted ? 'restarted' : 'joined';
    }
    return restarted ? 'restarted' : 'renewed';
  }

  /** Drops a shard at once (an orderly shutdown says goodbye instead of waiting to be timed out). */
  remove(shardId: string, startedAt?: number): void {
    const known = this.shards.get(shardId);
    if (known && (startedAt === undefined || known.startedAt === startedAt)) {
      this.shards.delete(shardId);
      log.info({ shardId }, 'shard left');
      this.recompute();
    }
  }

  /** The process currently speaking for a shard id, whether or not it is live right now. */
  newestProcess(shardId: string): number | undefined {
    return this.newest.get(shardId);
  }

  isLive(shardId: string, startedAt?: number): boolean {
    const s = this.shards.get(shardId);
    return s !== undefined && (startedAt === undefined || s.startedAt === startedAt);
  }

  current(): Placement {
    return this.placement;
  }

  urlOf(shardId: string): string | undefined {
    return this.shards.get(shardId)?.url;
  }

  list(): ShardEntry[] {
    return [...this.shards.values()].sort((a, b) => a.shardId.localeCompare(b.shardId));
  }

  /** Leaves these shards out of placement from now on, so their agents move to the others. */
  exclude(shardIds: ReadonlySet<string>): void {
    this.excluded = new Set(shardIds);
    this.recompute();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private expire(): void {
    const cutoff = Date.now() - this.deadAfterMs;
    let changed = false;
    for (const [id, s] of this.shards) {
      if (s.lastSeen < cutoff) {
        this.shards.delete(id);
        log.warn({ shardId: id, silentMs: Date.now() - s.lastSeen }, 'shard stopped heartbeating; dropped from placement');
        this.emit('silent', s);
        changed = true;
      }
    }
    if (changed) this.recompute();
  }

  private recompute(): void {
    this.placement = new Placement([...this.shards.keys()].filter((id) => !this.excluded.has(id)));
    this.emit('change', this.placement);
  }
}
