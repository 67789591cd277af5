import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrg } from '../../../src/org/load.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { lazyRoomMembers, planOrg, type ProvisionPlan } from '../../../src/provision/plan.ts';
import { desiredStateEvents, createRoomBody } from '../../../src/provision/room-state.ts';
import { slugify, teamAliasLocalparts } from '../../../src/provision/slug.ts';

const DOMAIN = 'anycompany.corp';
const BOT = '@fleet-bot:anycompany.corp';
const org = loadOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake' }, file: join(import.meta.dirname, '..', '..', 'fixtures', 'org-small.yaml') });
const id = (name: string) => org.findByName(name)[0]!.matrixId;
const roomsOf = (plan: ProvisionPlan, userId: string) => plan.memberships.filter((m) => m.userId === userId).map((m) => `${m.alias}:${m.membership}`).sort();

describe('slugs', () => {
  it('turns team names into alias-safe slugs', () => {
    expect(slugify('Demand Gen')).toBe('demand-gen');
    expect(slugify('FP&A')).toBe('fpa');
    expect(slugify('Research & Development')).toBe('research-and-development');
    expect(slugify('Café  Ops!')).toBe('cafe-ops');
    expect(slugify('Mid-Market')).toBe('mid-market');
  });

  it('prefixes every namesake team with its department, whatever the order', () => {
    const teams = [{ department: 'Engineering', team: 'Platform' }, { department: 'Sales', team: 'SMB' }, { department: 'Product', team: 'Platform' }];
    const a = teamAliasLocalparts(teams);
    const b = teamAliasLocalparts([...teams].reverse());
    expect([...a.values()].sort()).toEqual(['engineering-platform-team', 'product-platform-team', 'smb-team']);
    expect(b).toEqual(a);
  });
});

describe('planOrg', () => {
  const plan = planOrg(org, { botUserId: BOT, admins: ['@ops.admin:anycompany.corp'] });

  it('plans a user per agent with name and title, and never registers humans', () => {
    expect(plan.users).toHaveLength(org.agents().length);
    expect(plan.users.find((u) => u.userId === id('Liam Rivera'))).toMatchObject({ displayName: 'Liam Rivera', title: 'Director of Platform', live: true });
    expect(plan.users.some((u) => u.userId === id('Morgan Blake'))).toBe(false);
    expect(plan.humans).toEqual(new Set([id('Morgan Blake'), '@ops.admin:anycompany.corp']));
  });

  it('puts each person in all-employees, their team room and, for leaders, their leadership room', () => {
    expect(roomsOf(plan, id('Liam Rivera'))).toEqual(['all-employees:join', 'engineering-leadership:join', 'engineering-platform-team:join']);
    const ic = org.all().find((p) => p.level === 'IC' && p.team === 'FP&A')!;
    expect(roomsOf(plan, ic.matrixId)).toEqual(['all-employees:join', 'fpa-team:join']);
    // VPs have no team; they sit with the CEO in the executive leadership room
    expect(roomsOf(plan, id('Ava Stone'))).toEqual(['all-employees:join', 'engineering-leadership:join', 'executive-leadership:join']);
    expect(roomsOf(plan, id('Morgan Blake'))).toEqual(['all-employees:invite', 'company:invite', 'executive-department:invite', 'executive-leadership:invite', 'fleet-admin:invite']);
    expect(roomsOf(plan, '@ops.admin:anycompany.corp')).toEqual(['company:invite', 'fleet-admin:invite']);
  });

  it('mirrors the hierarchy in power levels', () => {
    const room = (alias: string) => plan.rooms.find((r) => r.alias === alias)!;
    const top = { [BOT]: 100, [id('Morgan Blake')]: 100, '@ops.admin:anycompany.corp': 100 };
    expect(room('engineering-platform-team').powerLevels.users).toEqual({ ...top, [id('Ava Stone')]: 75, [id('Liam Rivera')]: 50 });
    expect(room('engineering-platform-team').powerLevels.state_default).toBe(50);
    expect(room('product-platform-team').powerLevels.users[id('Liam Rivera')]).toBeUndefined();
    expect(room('engineering-leadership').powerLevels.state_default).toBe(75);
    expect(room('all-employees').powerLevels.state_default).toBe(100);
    expect(room('fleet-admin').joinRule).toBe('invite');
    for (const r of plan.rooms) expect(r.powerLevels.events['m.room.power_levels']).toBe(100);
  });

  it('hangs rooms under department spaces and those under the company space', () => {
    const room = (alias: string) => plan.rooms.find((r) => r.alias === alias)!;
    expect(room('engineering-department')).toMatchObject({ kind: 'space', parent: 'company' });
    expect(room('fpa-team').parent).toBe('finance-department');
    expect(room('all-employees')).toMatchObject({ parent: 'company', suggested: true });
    expect(room('fleet-admin').parent).toBeUndefined();
    for (const r of plan.rooms) if (r.parent) expect(room(r.parent).depth).toBeLessThan(r.depth);
  });

  it('refuses an admin who is an agent', () => {
    expect(() => planOrg(org, { botUserId: BOT, admins: [id('Liam Rivera')] })).toThrow(/admins must be humans/);
  });

  it('plans the generated 1001-person company with unique aliases', () => {
    const big = new OrgDirectory(generateOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake' } }), DOMAIN);
    const p = planOrg(big, { botUserId: BOT });
    expect(p.users).toHaveLength(1000);
    expect(new Set(p.rooms.map((r) => r.alias)).size).toBe(p.rooms.length);
    expect(p.rooms.map((r) => r.alias)).toEqual(expect.arrayContaining(['engineering-platform-team', 'product-platform-team', 'fpa-team', 'demand-gen-team']));
    expect(p.memberships.filter((m) => m.alias === 'all-employees')).toHaveLength(1001);
  });
});

describe('membership policy: big rooms are joined lazily', () => {
  const big = new OrgDirectory(generateOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake' } }), DOMAIN);
  const kinds = (p: ProvisionPlan, alias: string) => new Set(p.memberships.filter((m) => m.alias === alias).map((m) => m.membership));

  it('at 1001 people only #all-employees is lazy; humans are still invited; every other room is joined', () => {
    const p = planOrg(big, { botUserId: BOT });
    expect(kinds(p, 'all-employees')).toEqual(new Set(['lazy', 'invite']));
    const others = p.memberships.filter((m) => m.alias !== 'all-employees' && m.membership === 'lazy');
    expect(others).toEqual([]);
    expect(p.memberships.filter((m) => m.membership === 'join').length).toBeLessThan(1300);
  });

  it('the limit is configurable: rooms with more agents than it are lazy, the others eager', () => {
    const p = planOrg(org, { botUserId: BOT, eagerJoinMaxMembers: 5 });
    const agentsIn = (alias: string) => p.memberships.filter((m) => m.alias === alias && m.membership !== 'invite').length;
    for (const r of p.rooms) {
      const n = agentsIn(r.alias);
      if (n === 0) continue;
      expect(kinds(p, r.alias).has(n > 5 ? 'join' : 'lazy'), r.alias).toBe(false);
    }
    expect(kinds(p, 'all-employees').has('lazy')).toBe(true);
  });

  it('lazyRoomMembers names the same rooms and every agent who belongs there, for routing', () => {
    const lazy = lazyRoomMembers(big);
    expect([...lazy.keys()]).toEqual(['all-employees']);
    expect(lazy.get('all-employees')).toEqual(new Set(big.agents().map((a) => a.matrixId)));
    const small = lazyRoomMembers(org, 5);
    const p = planOrg(org, { botUserId: BOT, eagerJoinMaxMembers: 5 });
    for (const [alias, members] of small) {
      expect(members).toEqual(new Set(p.memberships.filter((m) => m.alias === alias && m.membership === 'lazy').map((m) => m.userId)));
    }
    expect(small.size).toBeGreaterThan(1);
  });
});

describe('room state', () => {
  const plan = planOrg(org, { botUserId: BOT });
  const ids = new Map([['company', '!c:x'], ['engineering-department', '!e:x'], ['engineering-platform-team', '!p:x'], ['frontend-team', '!f:x']]);

  it('links only to rooms that exist already, both ways', () => {
    const space = plan.rooms.find((r) => r.alias === 'engineering-department')!;
    const events = desiredStateEvents(space, plan, ids);
    expect(events.filter((e) => e.type === 'm.space.child').map((e) => e.stateKey).sort()).toEqual(['!f:x', '!p:x']);
    expect(events.find((e) => e.type === 'm.space.parent')).toMatchObject({ stateKey: '!c:x', content: { canonical: true } });
  });

  it('creates a room in one request carrying its alias, power levels and join rule', () => {
    const room = plan.rooms.find((r) => r.alias === 'engineering-platform-team')!;
    const body = createRoomBody(room, desiredStateEvents(room, plan, ids));
    expect(body).toMatchObject({ room_alias_name: 'engineering-platform-team', power_level_content_override: room.powerLevels });
    const initial = body.initial_state as Array<{ type: string; state_key: string; content: Record<string, unknown> }>;
    expect(initial.find((s) => s.type === 'm.room.join_rules')?.content).toEqual({ join_rule: 'public' });
    expect(initial.find((s) => s.type === 'm.space.parent')?.state_key).toBe('!e:x');
  });
});
