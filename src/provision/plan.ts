import type { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';
import { slugify, teamAliasLocalparts, teamKey } from './slug.ts';

export const ALL_EMPLOYEES = 'all-employees';
export const FLEET_ADMIN = 'fleet-admin';
export const COMPANY_SPACE = 'company';
export const leadershipAlias = (department: string): string => `${slugify(department)}-leadership`;
export const departmentSpaceAlias = (department: string): string => `${slugify(department)}-department`;

export type Membership = 'join' | 'invite';

export interface PowerLevelsContent {
  users: Record<string, number>;
  users_default: number;
  events_default: number;
  state_default: number;
  invite: number;
  kick: number;
  ban: number;
  redact: number;
  events: Record<string, number>;
  notifications: { room: number };
}

export interface DesiredUser {
  userId: string;
  localpart: string;
  displayName: string;
  title: string;
  /** Staffed by a live agent; the others still exist on the homeserver and in rooms. */
  live: boolean;
}

export interface DesiredRoom {
  /** Alias localpart; also the room's identity in the provisioning store. */
  alias: string;
  kind: 'room' | 'space';
  name: string;
  topic: string;
  joinRule: 'public' | 'invite';
  powerLevels: PowerLevelsContent;
  /** Alias of the space this room sits in. */
  parent?: string;
  /** Shown first by clients that list the parent space's children. */
  suggested?: boolean;
  /** Creation wave: parents come before children so children can name them in their initial state. */
  depth: number;
}

export interface DesiredMembership {
  alias: string;
  userId: string;
  membership: Membership;
}

export interface ProvisionPlan {
  domain: string;
  botUserId: string;
  users: DesiredUser[];
  rooms: DesiredRoom[];
  memberships: DesiredMembership[];
  /** Real people the fleet never acts for: only ever invited, never registered or joined. */
  humans: Set<string>;
}

export interface PlanOptions {
  botUserId: string;
  /** Human admins (beyond the CEO): power 100 everywhere and members of #fleet-admin. */
  admins?: readonly string[];
  /** Live agents; default every agent. */
  live?: ReadonlySet<string>;
  /** Shown in the company space's and #all-employees' names; default the domain. */
  companyName?: string;
}

// Only the provisioner (and the people at 100) may change who has power or how the room is reached.
const GUARDED_EVENTS = ['m.room.power_levels', 'm.room.join_rules', 'm.room.history_visibility', 'm.room.encryption', 'm.room.server_acl', 'm.room.tombstone'];

function powerLevels(users: Map<string, number>, stateDefault: number, invite: number): PowerLevelsContent {
  const sorted = Object.fromEntries([...users].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    users: sorted,
    users_default: 0,
    events_default: 0,
    state_default: stateDefault,
    invite,
    kick: 50,
    ban: 50,
    redact: 50,
    events: Object.fromEntries(GUARDED_EVENTS.map((t) => [t, 100])),
    notifications: { room: 50 },
  };
}

const isLeader = (p: Person): boolean => p.level !== 'IC';

/** Desired homeserver state for the org: who exists, which rooms and spaces, who is where with what power. Pure. */
export function planOrg(org: OrgDirectory, opts: PlanOptions): ProvisionPlan {
  const people = org.all();
  const root = people.find((p) => p.reportsTo === null);
  const admins = [...new Set(opts.admins ?? [])];
  for (const id of admins) {
    if (org.isAgent(id)) throw new Error(`provision: admin ${id} is an agent in the org; admins must be humans`);
  }
  const company = opts.companyName ?? org.domain;
  const top = new Map<string, number>([[opts.botUserId, 100], ...admins.map((a) => [a, 100] as const)]);
  if (root) top.set(root.matrixId, 100);
  const withTop = (extra: Iterable<[string, number]>): Map<string, number> => {
    const users = new Map<string, number>();
    for (const [id, level] of extra) users.set(id, Math.max(level, users.get(id) ?? 0));
    for (const [id, level] of top) users.set(id, level);
    return users;
  };
  const vps = people.filter((p) => p.level === 'VP');
  const vpsOf = (dept: string): Array<[string, number]> => vps.filter((v) => v.department === dept).map((v) => [v.matrixId, 75]);

  const rooms: DesiredRoom[] = [];
  rooms.push({
    alias: COMPANY_SPACE, kind: 'space', name: company, topic: `${company}: every department and company-wide room.`,
    joinRule: 'public', powerLevels: powerLevels(withTop([]), 100, 0), depth: 0,
  });
  rooms.push({
    alias: ALL_EMPLOYEES, kind: 'room', name: 'All Employees',
    topic: `Everyone at ${company}.${root ? ` ${root.name}, ${root.title}.` : ''}`,
    joinRule: 'public', powerLevels: powerLevels(withTop(vps.map((v) => [v.matrixId, 50])), 100, 0),
    parent: COMPANY_SPACE, suggested: true, depth: 1,
  });
  rooms.push({
    alias: FLEET_ADMIN, kind: 'room', name: 'Fleet Admin', topic: 'Fleet administration for humans: the fleet bot answers commands here.',
    joinRule: 'invite', powerLevels: powerLevels(withTop([]), 100, 100), depth: 1,
  });

  const rootDept = root?.department;
  for (const dept of org.departments()) {
    const space = departmentSpaceAlias(dept);
    rooms.push({
      alias: space, kind: 'space', name: dept, topic: `The ${dept} department.`, joinRule: 'public',
      powerLevels: powerLevels(withTop(vpsOf(dept)), 75, 0), parent: COMPANY_SPACE, depth: 1,
    });
    const leaders = org.department(dept).filter(isLeader);
    const head = leaders.find((p) => p.level === 'VP' || p.level === 'CEO');
    rooms.push({
      alias: leadershipAlias(dept), kind: 'room', name: `${dept} Leadership`,
      topic: dept === rootDept
        ? `Executive leadership: ${root!.name} (${root!.title}) and the heads of departments.`
        : `${dept} leadership: ${head ? `${head.name} (${head.title}), ` : ''}directors and managers.`,
      joinRule: 'public', powerLevels: powerLevels(withTop(vpsOf(dept)), 75, 0), parent: space, depth: 2,
    });
  }

  const teams = org.teams();
  const teamAliases = teamAliasLocalparts(teams);
  for (const t of teams) {
    const alias = teamAliases.get(teamKey(t))!;
    const directors = org.team(t.team, t.department).filter((p) => p.level === 'Director');
    const namesake = alias.startsWith(`${slugify(t.department)}-`);
    rooms.push({
      alias, kind: 'room', name: namesake ? `${t.team} Team (${t.department})` : `${t.team} Team`,
      topic: `${t.team} team, ${t.department}.${directors.length ? ` Led by ${directors.map((d) => `${d.name} (${d.title})`).join(', ')}.` : ''}`,
      joinRule: 'public',
      powerLevels: powerLevels(withTop([...vpsOf(t.department), ...directors.map((d) => [d.matrixId, 50] as [string, number])]), 50, 0),
      parent: departmentSpaceAlias(t.department), depth: 2,
    });
  }
  const seen = new Set<string>();
  for (const r of rooms) {
    if (seen.has(r.alias)) throw new Error(`provision: two rooms would share the alias #${r.alias}; rename a department or team`);
    seen.add(r.alias);
  }

  const memberships: DesiredMembership[] = [];
  const add = (alias: string, userId: string, human: boolean) => memberships.push({ alias, userId, membership: human ? 'invite' : 'join' });
  for (const p of people) {
    const where = new Set([ALL_EMPLOYEES]);
    if (p.team !== null) where.add(teamAliases.get(teamKey({ department: p.department, team: p.team }))!);
    if (isLeader(p)) where.add(leadershipAlias(p.department));
    // The heads reporting to the root sit in the root's leadership room with it.
    if (root && p.reportsTo === root.matrixId && rootDept !== undefined) where.add(leadershipAlias(rootDept));
    if (p.human) {
      // Humans browse by spaces; agents do not need to be members of them.
      where.add(COMPANY_SPACE).add(departmentSpaceAlias(p.department));
      if (p === root) where.add(FLEET_ADMIN);
    }
    for (const alias of where) add(alias, p.matrixId, p.human);
  }
  for (const id of admins) {
    if (id === root?.matrixId) continue;
    add(FLEET_ADMIN, id, true);
    if (!org.has(id)) add(COMPANY_SPACE, id, true);
  }

  const users = org.agents().map((p) => ({
    userId: p.matrixId, localpart: p.localpart, displayName: p.name, title: p.title, live: opts.live ? opts.live.has(p.matrixId) : true,
  }));
  const humans = new Set([...org.humans().map((p) => p.matrixId), ...admins]);
  return { domain: org.domain, botUserId: opts.botUserId, users, rooms, memberships, humans };
}
