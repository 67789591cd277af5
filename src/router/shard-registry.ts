import { EventEmitter } from 'node:events';
import { Placement } from './placement.ts';
import type { ShardAnnouncement } from '../shard/protocol.ts';
import { componentLogger } from '../log.ts';

const log = componentLogger('shard-registry');

interface ShardEntry { shardId: string; url: string; startedAt: number; lastSeen: number }

/**
 * Live shards, as told by their heartbeats. A shard silent for `deadAfterMs` leaves placement, so its agents'
 * pending events go to the shard that wins them next; when it comes back it wins them back.
 */
export class ShardRegistry extends EventEmitter<{ change: [Placement] }> {
  private readonly shards = new Map<string, ShardEntry>();
  private placement = new Placement([]);
  private readonly timer: NodeJS.Timeout;
  private readonly deadAfterMs: number;

  constructor(deadAfterMs: number) {
    super();
    this.deadAfterMs = deadAfterMs;
    this.timer = setInterval(() => this.expire(), Math.max(200, Math.floor(deadAfterMs / 4)));
    this.timer.unref();
  }

  heartbeat(a: ShardAnnouncement): void {
    const known = this.shards.get(a.shardId);
    this.shards.set(a.shardId, { ...a, lastSeen: Date.now() });
    if (!known) {
      log.info({ shardId: a.shardId, url: a.url }, 'shard joined');
      this.recompute();
    } else if (known.url !== a.url || known.startedAt !== a.startedAt) {
      log.info({ shardId: a.shardId, url: a.url }, 'shard restarted');
    }
  }

  /** Drops a shard at once (an orderly shutdown says goodbye instead of waiting to be timed out). */
  remove(shardId: string): void {
    if (this.shards.delete(shardId)) {
      log.info({ shardId }, 'shard left');
      this.recompute();
    }
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
        changed = true;
      }
    }
    if (changed) this.recompute();
  }

  private recompute(): void {
    this.placement = new Placement([...this.shards.keys()]);
    this.emit('change', this.placement);
  }
}
