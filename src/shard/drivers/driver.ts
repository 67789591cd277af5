/**
 * Starts and stops shard workers. The router does not care how: local child processes here, ECS tasks in
 * production. Shards find the router by themselves (heartbeats); the driver only keeps the wanted number alive.
 */
export interface ShardDriver {
  readonly kind: string;
  /** Makes shards shard-0 … shard-(count-1) run, stopping any above. */
  scale(count: number): Promise<void>;
  running(): Promise<string[]>;
  stopAll(): Promise<void>;
}
