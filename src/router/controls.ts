import type { Logger } from '../log.ts';
import type { Db } from '../store/sqlite.ts';
import type { Claims } from './claims.ts';
import type { Outbox } from './outbox.ts';

export interface ControlsOptions {
  db: Db;
  /** Every agent of the org: who is live when config agents.live names nobody in particular. */
  agents: readonly string[];
  /** config agents.live; undefined: every agent is staffed. */
  baseLive?: ReadonlySet<string>;
  /** Told when the draining set changes (placement must leave those shards out). */
  onDraining?: (shardIds: ReadonlySet<string>) => void;
  /** Told when agents are paused: work handed to their shards and not started yet is to come back. */
  onPaused?: (agentIds: ReadonlySet<string>) => void;
  /** Told when agents are resumed (their held deliveries can be handed now). */
  onResumed?: () => void;
}

/**
 * What operators changed on the running router (#fleet-admin, `./fleet admin`): paused agents, who is staffed beyond
 * or instead of config agents.live, and shards being drained. Kept in the router's SQLite so a restart keeps them.
 *
 * `live` is one Set mutated in place: the not-staffed filter and the fleet view hold the same object, so `staff`
 * and `unstaff` take effect on the next message without any re-wiring.
 */
export class OperatorControls {
  readonly live: Set<string>;
  private readonly o: ControlsOptions;
  private readonly pausedIds: Set<string>;
  private readonly drainingIds: Set<string>;
  private readonly s;

  constructor(opts: ControlsOptions) {
    this.o = opts;
    const db = opts.db;
    this.s = {
      pause: db.prepare('INSERT OR IGNORE INTO paused_agents (agent_id, by, at) VALUES (?, ?, ?)'),
      resume: db.prepare('DELETE FROM paused_agents WHERE agent_id = ?'),
      staff: db.prepare(`INSERT INTO staffing_overrides (agent_id, staffed, by, at) VALUES (?, ?, ?, ?)
        ON CONFLICT (agent_id) DO UPDATE SET staffed = excluded.staffed, by = excluded.by, at = excluded.at`),
      drain: db.prepare('INSERT OR IGNORE INTO draining_shards (shard_id, by, at) VALUES (?, ?, ?)'),
      undrain: db.prepare('DELETE FROM draining_shards WHERE shard_id = ?'),
    };
    this.pausedIds = new Set((db.prepare('SELECT agent_id AS id FROM paused_agents').all() as Array<{ id: string }>).map((r) => r.id));
    this.drainingIds = new Set((db.prepare('SELECT shard_id AS id FROM draining_shards').all() as Array<{ id: string }>).map((r) => r.id));
    this.live = this.liveFor(opts.agents, opts.baseLive);
  }

  /** Who is live with these agents and this config agents.live, operators' `staff`/`unstaff` still applied. */
  liveFor(agents: readonly string[], baseLive?: ReadonlySet<string>): Set<string> {
    const known = new Set(agents);
    const live = new Set([...(baseLive ?? agents)].filter((id) => known.has(id)));
    for (const r of this.o.db.prepare('SELECT agent_id AS id, staffed FROM staffing_overrides').all() as Array<{ id: string; staffed: number }>) {
      if (r.staffed && known.has(r.id)) live.add(r.id);
      else live.delete(r.id);
    }
    return live;
  }

  /** A reloaded org and config: `live` is refilled in place, so everyone holding it sees the new set at once. */
  rebase(agents: readonly string[], baseLive?: ReadonlySet<string>): void {
    const next = this.liveFor(agents, baseLive);
    for (const id of this.live) if (!next.has(id)) this.live.delete(id);
    for (const id of next) this.live.add(id);
  }

  isPaused(agentId: string): boolean {
    return this.pausedIds.has(agentId);
  }

  paused(): string[] {
    return [...this.pausedIds].sort();
  }

  /** Returns the agents that were not paused before. */
  pause(agentIds: readonly string[], by: string): string[] {
    const now = Date.now();
    const fresh = agentIds.filter((id) => !this.pausedIds.has(id));
    this.o.db.transaction(() => { for (const id of fresh) this.s.pause.run(id, by, now); })();
    for (const id of fresh) this.pausedIds.add(id);
    if (fresh.length > 0) this.o.onPaused?.(new Set(fresh));
    return fresh;
  }

  /** Returns the agents that were paused; their held deliveries are handed at once. */
  resume(agentIds: readonly string[]): string[] {
    const was = agentIds.filter((id) => this.pausedIds.has(id));
    this.o.db.transaction(() => { for (const id of was) this.s.resume.run(id); })();
    for (const id of was) this.pausedIds.delete(id);
    if (was.length > 0) this.o.onResumed?.();
    return was;
  }

  isLive(agentId: string): boolean {
    return this.live.has(agentId);
  }

  /** Staffs (true) or unstaffs (false) an agent at once; returns whether that changed anything. */
  setStaffed(agentId: string, staffed: boolean, by: string): boolean {
    if (this.live.has(agentId) === staffed) return false;
    this.s.staff.run(agentId, staffed ? 1 : 0, by, Date.now());
    if (staffed) this.live.add(agentId);
    else this.live.delete(agentId);
    return true;
  }

  draining(): ReadonlySet<string> {
    return this.drainingIds;
  }

  /** Takes a shard out of placement (its agents move); returns false when it was draining already. */
  drain(shardId: string, by: string): boolean {
    if (this.drainingIds.has(shardId)) return false;
    this.s.drain.run(shardId, by, Date.now());
    this.drainingIds.add(shardId);
    this.o.onDraining?.(this.drainingIds);
    return true;
  }

  undrain(shardId: string): boolean {
    if (!this.drainingIds.delete(shardId)) return false;
    this.s.undrain.run(shardId);
    this.o.onDraining?.(this.drainingIds);
    return true;
  }
}

/**
 * On pause: deliveries of these agents handed to a shard but not claimed there yet come back to wait in the outbox,
 * so a queue on the shard does not go on answering; the shard's claim is then refused ('moved') and it drops them.
 * A turn under a live claim finishes. Returns how many came back.
 */
export function recallUnstarted(outbox: Outbox, claims: Claims, agentIds: ReadonlySet<string>): number {
  const running = claims.claimedDeliveries();
  const back = outbox.open().filter((d) => agentIds.has(d.agentId) && d.holder !== null && !running.has(d.id)).map((d) => d.id);
  outbox.assign(back, null);
  return back.length;
}

export interface DrainWatchOptions {
  controls: OperatorControls;
  /** Deliveries a shard holds that it has not finished. */
  unfinished: (shardId: string) => number;
  isLive: (shardId: string) => boolean;
  /** Stops a shard through the shard driver; false when the driver cannot stop that one. Absent: no driver. */
  stop?: (shardId: string) => Promise<boolean>;
  log: Logger;
  everyMs?: number;
}

/**
 * Finishes drains: once a draining shard holds no unfinished work it is stopped through the driver (when one is
 * configured and can stop it) and forgotten, so a later `scale` up brings it back into placement. A drained shard
 * that nobody stops stays live and out of placement until `undrain`.
 */
export function watchDrains(o: DrainWatchOptions): () => void {
  const stopping = new Set<string>();
  const seen = new Set<string>();
  const tick = () => {
    for (const shardId of [...o.controls.draining()]) {
      // Forgotten only once it was seen live and then left: after a router restart no shard is live at first.
      if (!o.isLive(shardId)) {
        if (seen.delete(shardId)) {
          stopping.delete(shardId);
          o.controls.undrain(shardId);
          o.log.info({ shardId }, 'drained shard is gone');
        }
        continue;
      }
      seen.add(shardId);
      if (!o.stop || stopping.has(shardId) || o.unfinished(shardId) > 0) continue;
      stopping.add(shardId);
      // A shard the driver cannot stop stays in `stopping`: asked once, not every second.
      void o.stop(shardId).then((stopped) => {
        if (stopped) o.log.info({ shardId }, 'drained shard stopped');
        else o.log.info({ shardId }, 'drained shard idle; the driver cannot stop it, stop it where it runs');
      }, (err: Error) => {
        stopping.delete(shardId);
        o.log.warn({ shardId, err: err.message }, 'could not stop a drained shard');
      });
    }
  };
  const timer = setInterval(tick, o.everyMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}
