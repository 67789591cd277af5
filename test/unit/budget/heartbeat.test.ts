import { describe, expect, it } from 'vitest';
import { heartbeatSchema } from '../../../src/heartbeat/config.ts';
import { HeartbeatScheduler } from '../../../src/heartbeat/scheduler.ts';
import { heartbeatPrompt } from '../../../src/heartbeat/rooms.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';

const D = 'anycompany.corp';
const org = new OrgDirectory(generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } }), D);
const managers = org.byLevel('Manager');
const [busy, idle] = managers;
const ic = org.byLevel('IC')[0]!;
const NOON = Date.UTC(2026, 11, 3, 12);
const MINUTE = 60_000;

/** A scheduler on a simulated clock, ticked every 30 simulated seconds for `minutes`; returns the beats. */
function simulate(config: unknown, opts: { minutes?: number; start?: number; overBudget?: Set<string>; paused?: Set<string>; tasks?: Map<string, number> } = {}) {
  const clock = { now: opts.start ?? NOON };
  const beats: string[] = [];
  const tasks = opts.tasks ?? new Map([[busy!.matrixId, 2], [ic.matrixId, 1]]);
  const s = new HeartbeatScheduler({
    config: heartbeatSchema.parse(config), org, now: () => clock.now, random: () => 0.5,
    tasks: { openTasksOf: (id) => tasks.get(id) ?? 0 },
    isActive: (id) => !opts.paused?.has(id), overBudget: (id) => opts.overBudget?.has(id) ?? false,
    beat: (id) => beats.push(id),
  });
  for (let t = 0; t <= (opts.minutes ?? 60) * 2; t++, clock.now += 30_000) s.tick();
  return { beats, s };
}

describe('heartbeat', () => {
  it('is off by default: an idle hour makes no beat at all, whatever tasks are open', () => {
    const { beats, s } = simulate({}, { minutes: 60 });
    expect(beats).toEqual([]);
    expect(s.enrolled().size).toBe(0);
  });

  it('wakes only enrolled agents with open tasks, once per interval (jitter around it), never at start', () => {
    const { beats } = simulate({ levels: { Manager: {} }, intervalMinutes: 20, jitterMinutes: 5 }, { minutes: 61 });
    expect(new Set(beats)).toEqual(new Set([busy!.matrixId]));
    expect(beats).toHaveLength(3);
    expect(beats).not.toContain(idle!.matrixId);
    expect(beats).not.toContain(ic.matrixId);
  });

  it('lets an agent entry win over its level (in, out, own interval)', () => {
    const cfg = { levels: { Manager: {} }, agents: { [busy!.localpart]: { enabled: false }, [ic.localpart]: { intervalMinutes: 10 } }, jitterMinutes: 0 };
    const { beats } = simulate(cfg, { minutes: 60 });
    expect(beats).not.toContain(busy!.matrixId);
    expect(beats.filter((b) => b === ic.matrixId)).toHaveLength(6);
  });

  it('skips agents over budget or paused', () => {
    const cfg = { levels: { Manager: {}, IC: {} }, intervalMinutes: 10, jitterMinutes: 0 };
    const { beats } = simulate(cfg, { overBudget: new Set([busy!.matrixId]), paused: new Set([ic.matrixId]) });
    expect(beats).toEqual([]);
  });

  it('never beats in night hours (wrapping midnight, in the configured time zone)', () => {
    const cfg = { agents: { [busy!.localpart]: {} }, intervalMinutes: 15, jitterMinutes: 0, nightHours: { from: '20:00', to: '07:00' }, timeZone: 'UTC' };
    expect(simulate(cfg, { start: Date.UTC(2026, 11, 3, 8), minutes: 8 * 60 }).beats.length).toBeGreaterThan(0);
    const night = simulate(cfg, { start: Date.UTC(2026, 11, 3, 20), minutes: 10 * 60 + 59 });
    expect(night.beats).toEqual([]);
    const s = night.s;
    expect(s.isNight(Date.UTC(2026, 11, 3, 23, 59))).toBe(true);
    expect(s.isNight(Date.UTC(2026, 11, 3, 7, 0))).toBe(false);
    const paris = simulate({ ...cfg, timeZone: 'Europe/Paris' }, { minutes: 0 }).s;
    expect(paris.isNight(Date.UTC(2026, 11, 3, 19, 30))).toBe(true);
  });

  it('rejects a time zone or clock time that does not exist', () => {
    expect(heartbeatSchema.safeParse({ timeZone: 'Mars/Olympus' }).success).toBe(false);
    expect(heartbeatSchema.safeParse({ nightHours: { from: '25:00', to: '07:00' } }).success).toBe(false);
  });

  it('lists the open tasks in the prompt', () => {
    expect(heartbeatPrompt(['#4 Migrate the DB (assigned)'], 1)).toMatch(/^Heartbeat: you have 1 open task\(s\)\.\n- #4 Migrate the DB/);
    expect(MINUTE).toBe(60_000);
  });
});
