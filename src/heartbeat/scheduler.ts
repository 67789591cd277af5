import type { OrgDirectory } from '../org/directory.ts';
import type { HeartbeatConfig } from './config.ts';

/** What the heartbeat needs of the tasks (src/tasks TaskService fits). */
export interface OpenTasks {
  openTasksOf(agentId: string): number;
  /** One line per open task, for the prompt; absent: the prompt gives only the count. */
  describeOpenTasks?(agentId: string): string[];
}

export interface HeartbeatOptions {
  config: HeartbeatConfig;
  org: OrgDirectory;
  tasks: OpenTasks;
  /** Staffed and not paused by an operator. */
  isActive(agentId: string): boolean;
  overBudget(agentId: string): boolean;
  /** Wakes the agent (HeartbeatRooms.beat): a delivery like any other. */
  beat(agentId: string, openTasks: string[], at: number): void;
  /** Injectable for tests: a simulated hour runs in milliseconds. */
  now?: () => number;
  random?: () => number;
}

/**
 * The opt-in heartbeat. Agents are enrolled by config (their level, or by name; the name wins) and default to
 * none, so an idle fleet makes no model call. An enrolled agent is woken every interval (± jitter) only if it has
 * open tasks, is staffed and not paused, is within budget and it is not night in the configured hours; a beat
 * skipped for any of these waits for the next interval rather than firing as soon as the condition clears.
 */
export class HeartbeatScheduler {
  private readonly o: HeartbeatOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  /** When each enrolled agent is next due. */
  private readonly due = new Map<string, number>();
  private beats = 0;

  constructor(opts: HeartbeatOptions) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** Enrolled agents and their interval; read from the org on each call, so a reload's hires and moves count. */
  enrolled(): Map<string, number> {
    const { config, org } = this.o;
    const out = new Map<string, number>();
    for (const p of org.agents()) {
      const entry = config.agents[p.matrixId] ?? config.agents[p.localpart] ?? config.levels[p.level];
      if (entry?.enabled) out.set(p.matrixId, (entry.intervalMinutes ?? config.intervalMinutes) * 60_000);
    }
    return out;
  }

  /** Beats the agents that are due; returns how many it woke. Call it often (the router: every 30 s). */
  tick(now = this.now()): number {
    const enrolled = this.enrolled();
    for (const id of this.due.keys()) if (!enrolled.has(id)) this.due.delete(id);
    const night = this.isNight(now);
    let woke = 0;
    for (const [agentId, intervalMs] of enrolled) {
      const due = this.due.get(agentId);
      // Newly enrolled (or after a router start): the first beat is an interval away, not now.
      if (due === undefined) {
        this.due.set(agentId, now + this.spread(intervalMs));
        continue;
      }
      if (due > now) continue;
      this.due.set(agentId, now + this.spread(intervalMs));
      if (night || !this.o.isActive(agentId) || this.o.overBudget(agentId) || this.o.tasks.openTasksOf(agentId) === 0) continue;
      this.o.beat(agentId, this.o.tasks.describeOpenTasks?.(agentId) ?? [], now);
      woke++;
    }
    this.beats += woke;
    return woke;
  }

  /** Beats since start. */
  total(): number {
    return this.beats;
  }

  private spread(intervalMs: number): number {
    const jitter = this.o.config.jitterMinutes * 60_000;
    return Math.max(60_000, intervalMs + (this.random() * 2 - 1) * jitter);
  }

  isNight(at: number): boolean {
    const hours = this.o.config.nightHours;
    if (!hours) return false;
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: this.o.config.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
    const minute = get('hour') * 60 + get('minute');
    const [from, to] = [hours.from, hours.to].map((s) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3)));
    return from! <= to! ? minute >= from! && minute < to! : minute >= from! || minute < to!;
  }
}
