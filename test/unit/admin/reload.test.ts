import { describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../../src/admin/commands.ts';
import { OrgReloader, rollingRestart, swappableOrg, type OrgSnapshot } from '../../../src/admin/reload.ts';
import { logger } from '../../../src/log.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { diffOrgs } from '../../../src/org/diff.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import type { Person } from '../../../src/org/types.ts';
import { adminContext, CEO, D, org } from './fixture.ts';

const admin = { id: CEO, role: 'admin' as const };
const departed = org.agents().find((p) => p.level === 'IC')!;
const mover = org.agents().find((p) => p.level === 'IC' && p.team !== departed.team)!;
const hire: Person = {
  matrixId: `@new.hire:${D}`, localpart: 'new.hire', name: 'New Hire', firstName: 'New', lastName: 'Hire', title: 'Analyst', level: 'IC',
  department: departed.department, team: departed.team, reportsTo: departed.reportsTo, directReports: [], human: false,
};

/** The org with `departed` gone, `hire` in and `mover` in departed's team, directReports rebuilt. */
function nextOrg(): OrgDirectory {
  const people = [...org.all().filter((p) => p.matrixId !== departed.matrixId), hire]
    .map((p) => (p.matrixId === mover.matrixId ? { ...p, team: departed.team, department: departed.department, reportsTo: departed.reportsTo } : p));
  const reports = new Map<string, string[]>();
  for (const p of people) if (p.reportsTo) reports.set(p.reportsTo, [...(reports.get(p.reportsTo) ?? []), p.matrixId]);
  return new OrgDirectory(people.map((p) => ({ ...p, directReports: reports.get(p.matrixId) ?? [] })), D);
}

const all = (o: OrgDirectory) => new Set(o.agents().map((p) => p.matrixId));

function reloadWorld() {
  const holder = swappableOrg(org);
  const ctx = adminContext({ org: holder.org });
  let onDisk: OrgSnapshot = { org, live: all(org), admins: [] };
  let running: OrgSnapshot = onDisk;
  const calls: string[] = [];
  const reloader = new OrgReloader({
    read: () => onDisk, current: () => running, liveNow: () => ctx.controls.live,
    liveFor: (s) => ctx.controls.liveFor([...all(s.org)], s.live),
    provision: async (s) => { calls.push(`provision ${s.org.size}`); return 'provisioned'; },
    adopt: (s) => { calls.push('adopt'); holder.swap(s.org); ctx.controls.rebase([...all(s.org)], s.live); running = s; },
    restartShards: (hires) => { calls.push(`restart shards; hold ${hires.join(',')}`); return 'Restarting 2 shard(s).'; },
  });
  ctx.reload = reloader;
  return { ctx, calls, setDisk: (s: OrgSnapshot) => { onDisk = s; }, run: (cmd: string) => runAdminCommand(cmd, ctx, admin) };
}

describe('reload', () => {
  it('diffOrgs names hires, departures and moves with what changed', () => {
    const d = diffOrgs(org, nextOrg());
    expect(d.hires.map((p) => p.matrixId)).toEqual([hire.matrixId]);
    expect(d.departures.map((p) => p.matrixId)).toEqual([departed.matrixId]);
    const move = d.moves.find((m) => m.after.matrixId === mover.matrixId)!;
    expect(move.changes).toContain(`team ${mover.team} → ${departed.team}`);
  });

  it('reload shows the difference and changes nothing; reload confirm provisions, then switches the router, then restarts shards', async () => {
    const w = reloadWorld();
    expect((await w.run('reload')).text).toContain('nothing to reload');
    expect((await w.run('reload confirm')).text).toContain('send "reload" first');
    const next = nextOrg();
    w.setDisk({ org: next, live: all(next), admins: ['@ops:anycompany.corp'] });
    const preview = await w.run('reload');
    expect(preview.ok).toBe(true);
    expect(preview.text).toContain('1 hire(s), 1 departure(s)');
    expect(preview.text).toContain('live set: 1 staffed, 1 unstaffed');
    expect(preview.text).toContain('admins: +@ops:anycompany.corp');
    expect(preview.text).toMatch(/hire\s+New Hire \(@new\.hire:anycompany\.corp\)/);
    expect(preview.text).toMatch(new RegExp(`move\\s+${mover.name}.*: team ${mover.team} → ${departed.team}`));
    expect(preview.html).toContain('<table>');
    expect(w.calls).toEqual([]);
    expect(w.ctx.org.has(departed.matrixId)).toBe(true);

    const done = await w.run('reload confirm');
    expect(done.text).toContain('Reloaded. Homeserver: provisioned. Restarting 2 shard(s).');
    expect(w.calls).toEqual([`provision ${next.size}`, 'adopt', `restart shards; hold ${hire.matrixId}`]);
    // The one org object everyone holds now answers with the new directory.
    expect(w.ctx.org.has(departed.matrixId)).toBe(false);
    expect(w.ctx.org.get(hire.matrixId)?.name).toBe('New Hire');
    expect(w.ctx.org.size).toBe(next.size);
    expect(w.ctx.controls.isLive(hire.matrixId)).toBe(true);
    expect(w.ctx.controls.isLive(departed.matrixId)).toBe(false);
    expect((await w.run('reload')).text).toContain('nothing to reload');
  });

  it('reload confirm applies only what was shown: a file changed since shows the new difference instead', async () => {
    const w = reloadWorld();
    const next = nextOrg();
    w.setDisk({ org: next, live: all(next), admins: [] });
    await w.run('reload');
    w.setDisk({ org: next, live: new Set([hire.matrixId]), admins: [] });
    const refused = await w.run('reload confirm');
    expect(refused.text).toContain('changed since "reload"');
    expect(w.calls).toEqual([]);
    expect((await w.run('reload confirm')).text).toContain('Reloaded');
  });

  it('is for admins only, and says so when the router cannot reload', async () => {
    const w = reloadWorld();
    expect((await runAdminCommand('reload', w.ctx, { id: '@r:x', role: 'reader' })).text).toContain('only admins');
    expect((await runAdminCommand('reload', adminContext(), admin)).text).toContain('cannot re-read the org');
  });

  it('a swappable org refuses another domain', () => {
    const other = new OrgDirectory(generateOrg({ domain: 'other.org', ceo: { name: 'Morgan Blake' } }), 'other.org');
    expect(() => swappableOrg(org).swap(other)).toThrow('cannot change the domain');
  });

  it('rolling restart restarts one shard at a time, each once the one before is back as a new process', async () => {
    const startedAt = new Map([['shard-0', 1], ['shard-1', 1]]);
    const order: string[] = [];
    await rollingRestart({
      shardIds: ['shard-0', 'shard-1'], log: logger, timeoutMs: 5000, startedAt: (id) => startedAt.get(id),
      restart: async (id) => {
        order.push(`restart ${id}; ${[...startedAt].map(([s, t]) => `${s}@${t}`).join(' ')}`);
        startedAt.delete(id);
        setTimeout(() => startedAt.set(id, 2), 300);
      },
    });
    expect(order).toEqual(['restart shard-0; shard-0@1 shard-1@1', 'restart shard-1; shard-1@1 shard-0@2']);
  });
});

describe('restart <shard>', () => {
  it('restarts one shard through the driver, and refuses without a driver or a shard id', async () => {
    const restarted: string[] = [];
    const ctx = adminContext({ restart: async (id) => { restarted.push(id); } });
    expect((await runAdminCommand('restart shard-1', ctx, admin)).text).toContain('Restarting shard-1');
    expect(restarted).toEqual(['shard-1']);
    expect((await runAdminCommand('restart everything', ctx, admin)).ok).toBe(false);
    expect((await runAdminCommand('restart shard-0', adminContext(), admin)).text).toContain('does not manage its shards');
    expect((await runAdminCommand('restart shard-0', ctx, { id: '@r:x', role: 'reader' })).text).toContain('only admins');
  });
});
