/**
 * Starts and stops shard workers. The router does not care how: local child processes here, ECS tasks in
 * production. Shards find the router by themselves (heartbeats); the driver only keeps the wanted number alive.
 */
export interface ShardDriver {
  readonly kind: string;
  /**
   * Makes shards shard-0 … shard-(count-1) run, stopping any above. Shards stopped by stop() stay stopped while
   * the count stays the same; a new count starts them again.
   */
  scale(count: number): Promise<void>;
  running(): Promise<string[]>;
  stopAll(): Promise<void>;
  /** Stops one shard, whatever its index (a drained shard), and keeps it stopped: not a crash to recover from. */
  stop(shardId: string): Promise<void>;
  /**
   * Stops one shard and starts it again under the same id (so with the same store and agent directories); starts
   * it when it was stopped. Safe while it works: its claims end with the old process and the router hands its
   * unfinished deliveries to the new one.
   */
  restart(shardId: string): Promise<void>;
}

export const isShardId = (id: string): boolean => /^shard-\d+$/.test(id);
export const shardIndex = (id: string): number => Number(id.slice('shard-'.length));
