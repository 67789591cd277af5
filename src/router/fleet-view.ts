/**
 * What the router knows about the running fleet, for people (the dashboard, #fleet-admin) and scripts. It is read
 * from the router's own state and the shards' authenticated status APIs on each call: there is no second copy.
 */

export interface ShardView {
  shardId: string;
  url: string;
  startedAt: number;
  lastSeenAt: number;
  /** Deliveries the router handed to this shard that it has not reported finished. */
  unfinished: number;
  /** Agents placed on this shard by rendezvous placement (staffed agents only). */
  placedAgents: number;
  /** How often this shard id came back with a new process since the router started. */
  restarts: number;
  /** False when the shard's status API did not answer in time. */
  reachable: boolean;
  /** Work accepted by the shard, by state, from its own store. */
  deliveries?: { pending: number; done: number; failed: number; skipped: number };
}

export interface AgentView {
  agentId: string;
  name: string;
  title: string;
  department: string;
  team?: string;
  /** Staffed by a live agent (config agents.live); the others answer with a "not staffed" notice. */
  live: boolean;
  /** The shard placement assigns it to (undefined when no shard is alive or it is not live). */
  shardId?: string;
  /** Has an in-memory agent on its shard (answered recently); otherwise hibernated on disk. */
  warm: boolean;
  /** Deliveries waiting or running for it on its shard. */
  queued: number;
  lastTurnAt?: number;
  turns: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface TurnRecord {
  /** Unique across the fleet: `${shardId}:${seq}`. */
  id: string;
  at: number;
  shardId: string;
  agentId: string;
  senderId: string;
  roomId: string;
  eventId: string;
  latencyMs: number;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  outcome: 'replied' | 'silent' | 'apology' | 'skipped' | 'failed';
  error?: string;
}

export interface FleetView {
  shards(): Promise<ShardView[]>;
  agents(): Promise<AgentView[]>;
  /** Recent turns across all shards, oldest first; `sinceAt` (ms epoch) keeps only later ones. */
  activity(opts?: { sinceAt?: number; limit?: number }): Promise<TurnRecord[]>;
  inbox(): { pending: number; done: number; failed: number };
}
