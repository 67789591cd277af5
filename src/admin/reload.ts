import { diffOrgs, isEmptyDiff, type OrgDiff } from '../org/diff.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';
import type { Logger } from '../log.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/** The org and the config that depends on it, as read from disk. */
export interface OrgSnapshot {
  org: OrgDirectory;
  /** config agents.live applied to this org (selectLiveAgents). */
  live: ReadonlySet<string>;
  /** config org.admins. */
  admins: readonly string[];
}

export interface ReloadOptions {
  /** Reads config and org again (org.file, or the generator settings). */
  read(): OrgSnapshot | Promise<OrgSnapshot>;
  current(): OrgSnapshot;
  /** Who is live now (OperatorControls.live). */
  liveNow(): ReadonlySet<string>;
  /** Who would be live with this org and config, operators' staff/unstaff kept (OperatorControls.liveFor). */
  liveFor(next: OrgSnapshot): ReadonlySet<string>;
  /** Puts the new org on the homeserver: hires get users and rooms, departures leave and are deactivated. */
  provision(next: OrgSnapshot): Promise<string>;
  /** Makes the router use it: org directory, live set, admins. */
  adopt(next: OrgSnapshot): void;
  /**
   * Tells the shards (they read the org when they start) and returns what the operator is to know; the hires'
   * deliveries are to wait until their shards know them. Absent: the router cannot.
   */
  restartShards?: (hires: readonly string[]) => string;
}

export interface ReloadPlan {
  next: OrgSnapshot;
  diff: OrgDiff;
  staffed: string[];
  unstaffed: string[];
  admins: { added: string[]; removed: string[] };
}

const minus = <T>(a: Iterable<T>, b: ReadonlySet<T>): T[] => [...a].filter((x) => !b.has(x)).sort();

export const isNoChange = (p: ReloadPlan): boolean =>
  isEmptyDiff(p.diff) && p.staffed.length + p.unstaffed.length + p.admins.added.length + p.admins.removed.length === 0;

/** A fingerprint of what a plan changes: `reload confirm` applies only what the operator was shown. */
const fingerprint = (p: ReloadPlan): string => JSON.stringify([
  p.diff.hires.map((x) => x.matrixId), p.diff.departures.map((x) => x.matrixId), p.diff.moves.map((m) => [m.after.matrixId, m.changes]),
  p.staffed, p.unstaffed, p.admins,
]);

/**
 * `reload` then `reload confirm`: the first reads the org and config again and shows what would change, the second
 * applies it if it is still what was shown (the files may have changed in between). Applying provisions first, so
 * a hire has a user before any message is routed to it, then switches the router and restarts the shards.
 */
export class OrgReloader {
  private readonly o: ReloadOptions;
  private shown: string | undefined;
  private applying = false;

  constructor(opts: ReloadOptions) {
    this.o = opts;
  }

  async plan(): Promise<ReloadPlan> {
    const next = await this.o.read();
    const now = this.o.current();
    const liveAfter = this.o.liveFor(next);
    const before = this.o.liveNow();
    const nowAdmins = new Set(now.admins);
    const nextAdmins = new Set(next.admins);
    return {
      next, diff: diffOrgs(now.org, next.org),
      staffed: minus(liveAfter, before), unstaffed: minus(before, liveAfter),
      admins: { added: minus(nextAdmins, nowAdmins), removed: minus(nowAdmins, nextAdmins) },
    };
  }

  /** `reload`: what would change; remembered for `reload confirm`. */
  async preview(): Promise<ReloadPlan> {
    const plan = await this.plan();
    this.shown = isNoChange(plan) ? undefined : fingerprint(plan);
    return plan;
  }

  /** `reload confirm`: applies the plan shown by the last `reload`, or says why not. */
  async confirm(): Promise<{ applied: true; plan: ReloadPlan; provisioned: string; shards: string } | { applied: false; plan?: ReloadPlan; why: string }> {
    if (this.applying) return { applied: false, why: 'a reload is being applied already.' };
    if (this.shown === undefined) return { applied: false, why: 'send "reload" first to see what would change.' };
    const plan = await this.plan();
    if (fingerprint(plan) !== this.shown) {
      this.shown = isNoChange(plan) ? undefined : fingerprint(plan);
      return { applied: false, plan, why: 'the org or config changed since "reload"; this is the new difference. Send "reload confirm" to apply it.' };
    }
    this.applying = true;
    try {
      const provisioned = await this.o.provision(plan.next);
      this.o.adopt(plan.next);
      this.shown = undefined;
      const shards = this.o.restartShards?.(plan.diff.hires.filter((p) => !p.human).map((p) => p.matrixId))
        ?? 'The router cannot restart the shards (shards.driver): restart them where they run so they read the new org.';
      return { applied: true, plan, provisioned, shards };
    } finally {
      this.applying = false;
    }
  }
}

const who = (p: Person) => `${p.name} (${p.matrixId}), ${p.title}, ${p.department}${p.team ? ` / ${p.team}` : ''}`;

/** The plan as lines and a table of people, for the admin answer. */
export function describePlan(plan: ReloadPlan): { summary: string; rows: string[][] } {
  const { diff } = plan;
  const summary = [
    `${diff.hires.length} hire(s), ${diff.departures.length} departure(s), ${diff.moves.length} move(s);`,
    `live set: ${plan.staffed.length} staffed, ${plan.unstaffed.length} unstaffed;`,
    `admins: ${plan.admins.added.length ? `+${plan.admins.added.join(', +')}` : ''}${plan.admins.removed.length ? ` -${plan.admins.removed.join(', -')}` : ''}${plan.admins.added.length + plan.admins.removed.length ? '' : 'unchanged'}.`,
  ].join(' ');
  const rows = [
    ...diff.hires.map((p) => ['hire', who(p)]),
    ...diff.departures.map((p) => ['departure', who(p)]),
    ...diff.moves.map((m) => ['move', `${m.after.name} (${m.after.matrixId}): ${m.changes.join('; ')}`]),
    ...plan.staffed.map((id) => ['staffed', id]),
    ...plan.unstaffed.map((id) => ['unstaffed', id]),
  ];
  return { summary, rows };
}

/**
 * One org object for the whole router, whose directory a reload replaces. Everything that got `org` at start-up
 * (routing, provisioning of users, the not-staffed filter, the fleet view, the admin room) holds this same proxy,
 * so a swap reaches all of them at once, and each call sees either the old or the new directory, never a mix.
 * A Proxy rather than mutating OrgDirectory: the directory stays immutable and indexed once per version.
 */
export function swappableOrg(initial: OrgDirectory): { org: OrgDirectory; swap(next: OrgDirectory): void } {
  let current = initial;
  const org = new Proxy(initial, {
    get(_target, prop) {
      const value = Reflect.get(current, prop, current) as unknown;
      // Methods run on the current directory itself: its #private fields are not reachable through a proxy.
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(current) : value;
    },
  });
  return {
    org,
    swap(next) {
      if (next.domain !== initial.domain) throw new Error(`a reload cannot change the domain (${initial.domain} → ${next.domain})`);
      current = next;
    },
  };
}

export interface RollingRestartOptions {
  shardIds: readonly string[];
  restart: (shardId: string) => Promise<void>;
  /** The shard's process start time as the registry knows it (undefined: not live). */
  startedAt: (shardId: string) => number | undefined;
  log: Logger;
  /** How long one shard may take to come back before the next is restarted anyway. Default 5 min. */
  timeoutMs?: number;
}

/**
 * Restarts shards one at a time, each once the previous one heartbeats again as a new process, so at most one
 * shard's agents are between processes at any moment (their deliveries wait in the router's outbox meanwhile).
 */
export async function rollingRestart(o: RollingRestartOptions): Promise<void> {
  o.log.info({ shards: o.shardIds.length }, 'restarting shards with the reloaded org');
  for (const shardId of o.shardIds) {
    const before = o.startedAt(shardId);
    const deadline = Date.now() + (o.timeoutMs ?? 300_000);
    try {
      await o.restart(shardId);
    } catch (err) {
      o.log.warn({ shardId, err: (err as Error).message }, 'could not restart a shard after the reload');
      continue;
    }
    while (Date.now() < deadline) {
      const now = o.startedAt(shardId);
      if (now !== undefined && now !== before) break;
      await sleep(200);
    }
    o.log.info({ shardId, back: o.startedAt(shardId) !== before }, 'shard restarted with the reloaded org');
  }
}
