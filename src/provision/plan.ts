import type { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';
import { slugify, teamAliasLocalparts, teamKey } from './slug.ts';

export const ALL_EMPLOYEES = 'all-employees';
export const FLEET_ADMIN = 'fleet-admin';
export const COMPANY_SPACE = 'company';
export const leadershipAlias = (department: string): string => `${slugify(department)}-leadership`;
export const departmentSpaceAlias = (department: string): string => `${slugify(department)}-department`;

/**
 * join: the agent is joined by provisioning. invite: a human, invited by the bot. lazy: an agent of a room too big
 * to join everyone eagerly; it is recorded as belonging there, and joins when it first answers there (docs/provisioning.md).
 */
export type Membership = 'join' | 'invite' | 'lazy';

/**
 * Rooms with more agents than this are joined lazily. 100 matches routing.nameMatchMaxMembers: a room too big to
 * guess names in is a broadcast room, where most agents never speak. At 1001 people only #all-employees is lazy.
 */
export const DEFAULT_EAGER_JOIN_MAX_MEMBERS = 100;

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
  /** Rooms with more agents than this are joined lazily (DEFAULT_EAGER_JOIN_MAX_MEMBERS). */
  eagerJoinMaxMembers?: number;
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
const rootOf = (people: readonly Person[]): Person | undefined => people.find((p) => p.reportsTo === null);

/** Desired homeserver state for the org: who exists, which rooms and spaces, who is where with what power. Pure. */
export function planOrg(org: OrgDirectory, opts: PlanOptions): ProvisionPlan {
  const people = org.all();
  const root = rootOf(people);
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
  const lazy = lazyAliases(belonging(org, teamAliases), opts.eagerJoinMaxMembers);
  for (const p of people) {
    for (const alias of roomsOf(p, root, teamAliases)) {
      memberships.push({ alias, userId: p.matrixId, membership: p.human ? 'invite' : lazy.has(alias) ? 'lazy' : 'join' });
    }
  }
  const add = (alias: string, userId: string) => memberships.push({ alias, userId, membership: 'invite' });
  for (const id of admins) {
    if (id === root?.matrixId) continue;
    add(FLEET_ADMIN, id);
    if (!org.has(id)) add(COMPANY_SPACE, id);
  }

  const users = org.agents().map((p) => ({
    userId: p.matrixId, localpart: p.localpart, displayName: p.name, title: p.title, live: opts.live ? opts.live.has(p.matrixId) : true,
  }));
  const humans = new Set([...org.humans().map((p) => p.matrixId), ...admins]);
  return { domain: org.domain, botUserId: opts.botUserId, users, rooms, memberships, humans };
}

/** The org rooms one person belongs to by their place in the org (admins from config come on top). */
function roomsOf(p: Person, root: Person | undefined, teamAliases: ReadonlyMap<string, string>): Set<string> {
  const where = new Set([ALL_EMPLOYEES]);
  if (p.team !== null) where.add(teamAliases.get(teamKey({ department: p.department, team: p.team }))!);
  if (isLeader(p)) where.add(leadershipAlias(p.department));
  // The heads reporting to the root sit in the root's leadership room with it.
  if (root && p.reportsTo === root.matrixId) where.add(leadershipAlias(root.department));
  if (p.human) {
    // Humans browse by spaces; agents do not need to be members of them.
    where.add(COMPANY_SPACE).add(departmentSpaceAlias(p.department));
    if (p === root) where.add(FLEET_ADMIN);
  }
  return where;
}

/** Agents per org room alias. */
function belonging(org: OrgDirectory, teamAliases: ReadonlyMap<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const root = rootOf(org.all());
  for (const p of org.agents()) {
    for (const alias of roomsOf(p, root, teamAliases)) {
      let list = out.get(alias);
      if (!list) out.set(alias, (list = []));
      list.push(p.matrixId);
    }
  }
  return out;
}

function lazyAliases(agentsByRoom: ReadonlyMap<string, string[]>, max = DEFAULT_EAGER_JOIN_MAX_MEMBERS): Set<string> {
  return new Set([...agentsByRoom].filter(([, agents]) => agents.length > max).map(([alias]) => alias));
}

/**
 * The rooms joined lazily and the agents who belong in each (alias → agent ids): what routing treats as their
 * members, so an agent is addressed there as if joined and joins when it answers. Same policy as planOrg.
 */
export function lazyRoomMembers(org: OrgDirectory, eagerJoinMaxMembers = DEFAULT_EAGER_JOIN_MAX_MEMBERS): Map<string, Set<string>> {
  const agentsByRoom = belonging(org, teamAliasLocalparts(org.teams()));
  const lazy = lazyAliases(agentsByRoom, eagerJoinMaxMembers);
  return new Map([...lazy].map((alias) => [alias, new Set(agentsByRoom.get(alias))]));
}
