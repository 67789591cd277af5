import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrgDirectory } from '../../src/org/directory.ts';
import { loadOrg } from '../../src/org/load.ts';
import type { Person } from '../../src/org/types.ts';
import { AppserviceClient } from '../../src/provision/client.ts';
import { provisionOrg, TITLE_PROFILE_FIELD, type ProvisionResult } from '../../src/provision/index.ts';
import { ProvisionStore } from '../../src/provision/store.ts';
import { CEO, startTestFleet, testOrg, testRegistration, type TestFleet } from '../helpers/fleet.ts';
import { Human } from '../helpers/human.ts';
import { repliesTo, turnStarts } from '../helpers/wait.ts';
import { testHomeserver, type TestHomeserver } from '../helpers/homeserver.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'org-small.yaml');
const FULL = process.env.FLEET_PROVISION_FULL === '1';

interface StateEvent { type: string; state_key: string; content: Record<string, unknown> }

function zeroChanges(r: ProvisionResult): void {
  expect(r.failed).toBe(0);
  expect(Object.values(r.created).every((n) => n === 0)).toBe(true);
  expect(Object.values(r.removed).every((n) => n === 0)).toBe(true);
}

/** Reads the homeserver as the appservice bot, the way a client would see the rooms. */
function inspector(hs: TestHomeserver) {
  const bot = `@${hs.registration.senderLocalpart}:${hs.serverName}`;
  const client = new AppserviceClient({ homeserverUrl: hs.url, asToken: hs.registration.asToken });
  const enc = encodeURIComponent;
  return {
    bot,
    async state(roomId: string): Promise<StateEvent[]> {
      return client.request<StateEvent[]>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`, { asUser: bot });
    },
    async members(roomId: string): Promise<Map<string, string>> {
      const res = await client.request<{ chunk: StateEvent[] }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/members`, { asUser: bot });
      return new Map(res.chunk.map((e) => [e.state_key, e.content.membership as string]));
    },
    async joined(roomId: string): Promise<string[]> {
      const m = await this.members(roomId);
      return [...m].filter(([id, s]) => s === 'join' && id !== bot).map(([id]) => id).sort();
    },
    async resolve(alias: string): Promise<string> {
      return (await client.request<{ room_id: string }>('GET', `/_matrix/client/v3/directory/room/${enc(`#${alias}:${hs.serverName}`)}`)).room_id;
    },
    async profile(userId: string): Promise<Record<string, unknown>> {
      return client.request('GET', `/_matrix/client/v3/profile/${enc(userId)}`);
    },
  };
}

/** The people with directReports rebuilt from reportsTo, as a hand-edited org file would load. */
function directoryOf(people: Person[], domain: string): OrgDirectory {
  const reports = new Map<string, string[]>();
  for (const p of people) if (p.reportsTo) reports.set(p.reportsTo, [...(reports.get(p.reportsTo) ?? []), p.matrixId]);
  return new OrgDirectory(people.map((p) => ({ ...p, directReports: reports.get(p.matrixId) ?? [] })), domain);
}

describe.skipIf(FULL)('provisioning the org chart on Synapse', () => {
  let hs: TestHomeserver;
  let org: OrgDirectory;
  let dataDir: string;
  let look: ReturnType<typeof inspector>;
  let first: ProvisionResult;
  const admin = '@ops.admin:anycompany.corp';
  const run = (o: OrgDirectory) => provisionOrg({ org: o, registration: testRegistration(hs), homeserverUrl: hs.url, dataDir, admins: [admin], progress: 'none' });
  const id = (name: string): string => org.findByName(name)[0]!.matrixId;
  const ids = (pred: (p: Person) => boolean): string[] => org.all().filter((p) => !p.human && pred(p)).map((p) => p.matrixId).sort();

  beforeAll(async () => {
    hs = testHomeserver();
    await hs.registerUser(CEO.localpart, CEO.password);
    await hs.registerUser('ops.admin', 'ops-admin-password-1');
    org = loadOrg({ domain: hs.serverName, ceo: { name: CEO.name }, file: FIXTURE });
    dataDir = mkdtempSync(join(tmpdir(), 'fleet-provision-'));
    look = inspector(hs);
    first = await run(org);
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates every user, room and space and records them', async () => {
    expect(first.failed).toBe(0);
    expect(first.created.users).toBe(org.agents().length);
    expect(first.created.spaces).toBe(1 + org.departments().length);
    // all-employees, fleet-admin, a leadership room per department and a room per (department, team)
    expect(first.created.rooms).toBe(2 + org.departments().length + org.teams().length);
    for (const alias of ['all-employees', 'fleet-admin', 'engineering-leadership', 'executive-leadership',
      'engineering-platform-team', 'product-platform-team', 'fpa-team', 'demand-gen-team', 'company', 'engineering-department']) {
      expect(await look.resolve(alias), alias).toBe(first.roomIds[alias]);
    }
    const liam = id('Liam Rivera');
    const profile = await look.profile(liam);
    expect(profile.displayname).toBe('Liam Rivera');
    expect(profile[TITLE_PROFILE_FIELD]).toBe('Director of Platform');
  });

  it('links rooms into the company and department spaces both ways', async () => {
    const company = first.roomIds.company!;
    const eng = first.roomIds['engineering-department']!;
    const companyState = await look.state(company);
    expect(companyState.find((e) => e.type === 'm.room.create')?.content.type).toBe('m.space');
    const children = (state: StateEvent[]) => state.filter((e) => e.type === 'm.space.child' && Object.keys(e.content).length).map((e) => e.state_key).sort();
    expect(children(companyState)).toEqual([first.roomIds['all-employees'], ...org.departments().map((d) => first.roomIds[`${d.toLowerCase()}-department`])].sort());
    const engRooms = ['engineering-leadership', 'engineering-platform-team', 'frontend-team'].map((a) => first.roomIds[a]!);
    expect(children(await look.state(eng))).toEqual([...engRooms].sort());
    for (const roomId of engRooms) {
      const parents = (await look.state(roomId)).filter((e) => e.type === 'm.space.parent');
      expect(parents.map((e) => e.state_key)).toEqual([eng]);
      expect(parents[0]!.content.canonical).toBe(true);
    }
  });

  it('sets power levels that mirror the hierarchy', async () => {
    const pl = async (alias: string) => (await look.state(first.roomIds[alias]!)).find((e) => e.type === 'm.room.power_levels')!.content as {
      users: Record<string, number>; state_default: number; users_default: number; events: Record<string, number> };
    const team = await pl('engineering-platform-team');
    expect(team.users).toEqual({
      [look.bot]: 100, [id('Morgan Blake')]: 100, [admin]: 100, [id('Ava Stone')]: 75, [id('Liam Rivera')]: 50,
    });
    expect(team.state_default).toBe(50);
    expect(team.users_default).toBe(0);
    expect(team.events['m.room.power_levels']).toBe(100);
    const leadership = await pl('engineering-leadership');
    expect(leadership.users[id('Ava Stone')]).toBe(75);
    expect(leadership.users[id('Liam Rivera')]).toBeUndefined();
    expect(leadership.state_default).toBe(75);
    const all = await pl('all-employees');
    expect(all.users[id('Morgan Blake')]).toBe(100);
    expect(all.state_default).toBe(100);
  });

  it('joins agents and invites humans to the rooms of their role', async () => {
    const room = (alias: string) => first.roomIds[alias]!;
    expect(await look.joined(room('engineering-platform-team'))).toEqual(ids((p) => p.department === 'Engineering' && p.team === 'Platform'));
    expect(await look.joined(room('product-platform-team'))).toEqual(ids((p) => p.department === 'Product' && p.team === 'Platform'));
    expect(await look.joined(room('engineering-leadership'))).toEqual(ids((p) => p.department === 'Engineering' && p.level !== 'IC'));
    expect(await look.joined(room('executive-leadership'))).toEqual(ids((p) => p.level === 'VP'));
    expect(await look.joined(room('all-employees'))).toEqual(ids(() => true));
    const ceo = id('Morgan Blake');
    for (const alias of ['all-employees', 'executive-leadership', 'fleet-admin', 'company', 'executive-department']) {
      expect((await look.members(room(alias))).get(ceo), alias).toBe('invite');
    }
    const admins = await look.members(room('fleet-admin'));
    expect(admins.get(admin)).toBe('invite');
    expect([...admins.values()].filter((m) => m === 'join')).toHaveLength(1); // the bot alone: no agents
  });

  it('changes nothing on a second run', async () => {
    const again = await run(org);
    zeroChanges(again);
    expect(again.unchanged).toBeGreaterThan(org.size);
    expect(again.roomIds).toEqual(first.roomIds);
  });

  it('applies an org diff: a hire joins, a departure leaves and is archived, moves change rooms and power', async () => {
    const departed = org.all().find((p) => p.team === 'Frontend' && p.level === 'IC')!;
    const movedIc = org.all().find((p) => p.department === 'Engineering' && p.team === 'Platform' && p.level === 'IC')!;
    const frontendManager = org.all().find((p) => p.team === 'Frontend' && p.level === 'Manager')!;
    const growthDirector = org.all().find((p) => p.team === 'Growth' && p.level === 'Director')!;
    const growthManager = org.all().find((p) => p.team === 'Growth' && p.level === 'Manager')!;
    mkdirSync(join(dataDir, 'agents', departed.localpart), { recursive: true });
    writeFileSync(join(dataDir, 'agents', departed.localpart, 'MEMORY.md'), 'remember me');

    const hire: Person = {
      matrixId: '@quinn.newhire:anycompany.corp', localpart: 'quinn.newhire', name: 'Quinn Newhire', firstName: 'Quinn', lastName: 'Newhire',
      title: 'Product Analyst', level: 'IC', department: 'Product', team: 'Growth', reportsTo: growthManager.matrixId, directReports: [], human: false,
    };
    const people = org.all().filter((p) => p !== departed).map((p) => {
      if (p === movedIc) return { ...p, team: 'Frontend', reportsTo: frontendManager.matrixId };
      if (p === growthDirector) return { ...p, team: 'Platform', title: 'Director of Platform' };
      return p;
    });
    const next = directoryOf([...people, hire], org.domain);
    const r = await run(next);

    expect(r.failed).toBe(0);
    expect(r.created.users).toBe(1);
    expect(r.created.joins).toBe(4); // the hire twice, each mover once
    expect(r.removed.leaves).toBe(4); // the departure twice, each mover once
    expect(r.removed.deactivated).toBe(1);
    expect(r.removed.archived).toBe(1);

    const room = (alias: string) => first.roomIds[alias]!;
    const allMembers = await look.members(room('all-employees'));
    expect(allMembers.get(hire.matrixId)).toBe('join');
    expect(allMembers.get(departed.matrixId)).toBe('leave');
    expect((await look.members(room('frontend-team'))).get(departed.matrixId)).toBe('leave');
    expect(await look.joined(room('frontend-team'))).toContain(movedIc.matrixId);
    expect(await look.joined(room('engineering-platform-team'))).not.toContain(movedIc.matrixId);
    expect(await look.joined(room('growth-team'))).toContain(hire.matrixId);
    expect(await look.joined(room('growth-team'))).not.toContain(growthDirector.matrixId);
    expect(await look.joined(room('product-platform-team'))).toContain(growthDirector.matrixId);

    const plUsers = async (alias: string) => ((await look.state(room(alias))).find((e) => e.type === 'm.room.power_levels')!.content.users as Record<string, number>);
    expect((await plUsers('growth-team'))[growthDirector.matrixId]).toBeUndefined();
    expect((await plUsers('product-platform-team'))[growthDirector.matrixId]).toBe(50);
    expect((await look.profile(growthDirector.matrixId))[TITLE_PROFILE_FIELD]).toBe('Director of Platform');

    expect(existsSync(join(dataDir, 'agents', departed.localpart))).toBe(false);
    const archived = readdirSync(join(dataDir, 'archive', 'agents'));
    expect(archived).toEqual([`${departed.localpart}-${new Date().toISOString().slice(0, 10)}`]);
    const store = new ProvisionStore(join(dataDir, 'provision.sqlite'));
    try {
      expect(store.users().get(departed.matrixId)?.deactivatedAt).not.toBeNull();
      expect(store.users().get(hire.matrixId)?.deactivatedAt).toBeNull();
    } finally {
      store.close();
    }
    zeroChanges(await run(next));
    org = next;
  });

  it('finishes a run that died before recording its steps, adopting the room instead of duplicating it', async () => {
    const store = new ProvisionStore(join(dataDir, 'provision.sqlite'));
    const lost = store.db.prepare("SELECT COUNT(*) AS n FROM memberships WHERE alias = 'growth-team'").get() as { n: number };
    store.db.exec("DELETE FROM rooms WHERE alias = 'growth-team'; DELETE FROM room_state WHERE alias = 'growth-team'; DELETE FROM memberships WHERE alias = 'growth-team'");
    store.close();

    const r = await run(org);
    expect(r.failed).toBe(0);
    expect(r.created.rooms).toBe(0);
    expect(r.roomIds['growth-team']).toBe(first.roomIds['growth-team']);
    expect(r.created.joins).toBe(lost.n);
    zeroChanges(await run(org));
  });
});

/**
 * The membership policy end to end: a company whose #all-employees has more agents than eagerJoinMaxMembers (100),
 * provisioned while the fleet already runs. Cut from the generated org (whole departments, so everyone's manager is
 * in it) because the test homeserver's namespace lists that org's agents.
 */
describe.skipIf(FULL)('lazy #all-employees, provisioned behind a running fleet', () => {
  let fleet: TestFleet;
  let ceo: Human;
  let dataDir: string;

  afterAll(async () => {
    ceo?.stop();
    await fleet?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a DM while provisioning runs, then an agent never joined answers a mention in #all-employees once', async () => {
    const hs = testHomeserver();
    const full = testOrg(hs.serverName);
    const root = full.all().find((p) => p.reportsTo === null)!;
    const departments = full.departments().filter((d) => d !== root.department)
      .map((d) => full.department(d)).sort((a, b) => a.length - b.length);
    const people: Person[] = [root];
    for (const dept of departments) {
      if (people.length > 110) break;
      people.push(...dept);
    }
    const org = directoryOf(people.map((p) => (p === root ? p : { ...p })), full.domain);
    expect(org.agents().length).toBeGreaterThan(100);

    await hs.registerUser(CEO.localpart, CEO.password);
    // The same admin as the suite above: the rooms it made are adopted here, and a peer at 100 cannot be demoted.
    const admin = '@ops.admin:anycompany.corp';
    await hs.registerUser('ops.admin', 'ops-admin-password-1');
    fleet = await startTestFleet({ org });
    ceo = await Human.login(hs.url, CEO.localpart, CEO.password);
    dataDir = mkdtempSync(join(tmpdir(), 'fleet-provision-lazy-'));
    let finished = false;
    // Few requests in flight, so provisioning surely outlasts one DM turn.
    const provisioning = provisionOrg({ org, registration: testRegistration(hs), homeserverUrl: hs.url, dataDir, progress: 'none', concurrency: 2, admins: [admin] })
      .finally(() => { finished = true; });

    const dmAgent = org.agents()[3]!;
    const dm = await ceo.openDm(dmAgent.matrixId);
    const asked = await ceo.say(dm, 'Quick one while the company is still being set up: who do you report to?');
    await ceo.waitFor((m) => m.roomId === dm && repliesTo(asked)(m), 60_000);
    expect(finished).toBe(false);

    const result = await provisioning;
    expect(result.failed).toBe(0);
    expect(result.created.lazyMembers).toBe(org.agents().length);
    const all = result.roomIds['all-employees']!;
    const joinedBefore = await ceo.joinedMembers(all).catch(() => [] as string[]);
    await ceo.client.joinRoom(all);
    const target = org.agents().find((a) => !joinedBefore.includes(a.matrixId))!;
    expect(await ceo.joinedMembers(all)).not.toContain(target.matrixId);

    const marker = `lazy-${Date.now()}`;
    const question = await ceo.say(all, `${target.name}, ${marker}: who do you report to?`, { 'm.mentions': { user_ids: [target.matrixId] } });
    const [reply] = await ceo.waitFor((m) => m.roomId === all && repliesTo(question)(m), 60_000);
    expect(reply!.sender).toBe(target.matrixId);
    expect(await ceo.joinedMembers(all)).toContain(target.matrixId);
    // Exactly once: one turn-starting model call for (agent, event), whatever the homeserver shows.
    expect(turnStarts(fleet.model, target.matrixId, marker)).toBe(1);
    // Nobody else in the room was woken: plain names are not matched in a room this big, m.mentions named one.
    const othersWoken = org.agents().filter((a) => a !== target && turnStarts(fleet.model, a.matrixId, marker) > 0).map((a) => a.matrixId);
    expect(othersWoken).toEqual([]);
  }, 300_000);
});

describe.runIf(FULL)('provisioning the full 1001-person org (FLEET_PROVISION_FULL=1)', () => {
  it('provisions from nothing, then re-runs as a no-op', async () => {
    const hs = testHomeserver();
    await hs.registerUser(CEO.localpart, CEO.password);
    const org = testOrg(hs.serverName);
    const dataDir = mkdtempSync(join(tmpdir(), 'fleet-provision-full-'));
    try {
      const opts = { org, registration: testRegistration(hs), homeserverUrl: hs.url, dataDir, progress: 'log' as const };
      const full = await provisionOrg(opts);
      console.log(`[provision] full org: ${(full.durationMs / 1000).toFixed(1)} s`, JSON.stringify({ created: full.created, failed: full.failed }));
      expect(full.failed).toBe(0);
      expect(full.created.users).toBe(1000);
      const noop = await provisionOrg(opts);
      console.log(`[provision] no-op re-run: ${(noop.durationMs / 1000).toFixed(2)} s, unchanged ${noop.unchanged}`);
      zeroChanges(noop);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 600_000);
});
