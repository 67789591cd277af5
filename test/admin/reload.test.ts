import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { swappableOrg, type OrgSnapshot } from '../../src/admin/reload.ts';
import { loadOrg } from '../../src/org/load.ts';
import { placeAgent } from '../../src/protocol/placement.ts';
import { OrgDirectory } from '../../src/org/directory.ts';
import type { Person } from '../../src/org/types.ts';
import { AppserviceClient } from '../../src/provision/client.ts';
import { provisionOrg } from '../../src/provision/index.ts';
import { CEO, startTestFleet, testRegistration, type TestFleet } from '../helpers/fleet.ts';
import { testHomeserver } from '../helpers/homeserver.ts';
import { Human, type SeenMessage } from '../helpers/human.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'org-small.yaml');

/**
 * `reload` in #fleet-admin on the real homeserver: the org on disk gains a hire and loses an agent; `reload` shows
 * that, `reload confirm` provisions it, switches the router and restarts the shards through the driver, after which
 * the hire answers a DM and the departed agent has left its rooms and answers nothing.
 */
describe('#fleet-admin reload on a real homeserver', () => {
  const hs = testHomeserver();
  const before = loadOrg({ domain: hs.serverName, ceo: { name: CEO.name }, file: FIXTURE });
  // The shards' directory: in production each shard process reads the org file when it starts; here the test's
  // shard driver swaps it before starting the in-process shard again.
  const shardOrg = swappableOrg(before);
  const departed = before.agents().find((p) => p.level === 'IC' && p.team !== null)!;
  const manager = before.agents().find((p) => p.level === 'Manager')!;
  // In the test homeserver's user namespace (harness-*), unique per run: a hire's user is created by provisioning.
  const hireLocalpart = `harness-hire-${Date.now().toString(36)}`;
  const hire: Person = {
    matrixId: `@${hireLocalpart}:${hs.serverName}`, localpart: hireLocalpart, name: 'Harness Hire', firstName: 'Harness', lastName: 'Hire',
    title: 'Analyst', level: 'IC', department: manager.department, team: manager.team, reportsTo: manager.matrixId, directReports: [], human: false,
  };
  const after = directoryOf([...before.all().filter((p) => p.matrixId !== departed.matrixId), hire], hs.serverName);
  let onDisk = before;
  const snapshot = (org: OrgDirectory): OrgSnapshot => ({ org, live: new Set(org.agents().map((p) => p.matrixId)), admins: [] });

  let fleet: TestFleet;
  let ceo: Human;
  let adminRoom: string;
  const provision = (org: OrgDirectory) => provisionOrg({ org, registration: testRegistration(hs), homeserverUrl: hs.url, dataDir: fleet.dataDir, progress: 'none' });
  const repliesTo = (eventId: string) => (m: SeenMessage) =>
    (m.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']?.event_id === eventId;

  async function command(text: string): Promise<SeenMessage> {
    const eventId = await ceo.say(adminRoom, text);
    const [answer] = await ceo.waitFor((m) => m.roomId === adminRoom && m.content.msgtype === 'm.notice' && repliesTo(eventId)(m), 60_000);
    return answer!;
  }

  async function membership(roomAlias: string, userId: string): Promise<string | undefined> {
    const bot = `@${hs.registration.senderLocalpart}:${hs.serverName}`;
    const asBot = new AppserviceClient({ homeserverUrl: hs.url, asToken: hs.registration.asToken });
    const { room_id } = await asBot.request<{ room_id: string }>('GET', `/_matrix/client/v3/directory/room/${encodeURIComponent(`#${roomAlias}:${hs.serverName}`)}`);
    const res = await asBot.request<{ chunk: Array<{ state_key: string; content: { membership: string } }> }>('GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(room_id)}/members`, { asUser: bot });
    return res.chunk.find((e) => e.state_key === userId)?.content.membership;
  }

  async function stopInProcess(shardId: string): Promise<void> {
    const shard = fleet.shards.find((s) => s.shardId === shardId);
    if (!shard) return;
    await shard.close();
    fleet.shards.splice(fleet.shards.indexOf(shard), 1);
  }

  beforeAll(async () => {
    fleet = await startTestFleet({
      shards: 2, runtime: 'simple', org: shardOrg.org,
      router: {
        reload: { read: () => snapshot(onDisk), provision: async (next) => `${(await provision(next.org)).failed} failed step(s)` },
        // The test's shard driver: the same shard id and store, started again with the org as it is now on disk.
        restartShard: async (id) => {
          await stopInProcess(id);
          shardOrg.swap(onDisk);
          await fleet.startShard(id);
        },
        stopShard: (id) => stopInProcess(id),
      },
    });
    expect((await provision(before)).failed).toBe(0);
    await hs.registerUser(CEO.localpart, CEO.password).catch(() => undefined);
    ceo = await Human.login(hs.url, CEO.localpart, CEO.password);
    adminRoom = (await ceo.client.joinRoom(`#fleet-admin:${hs.serverName}`)).roomId;
    for (let i = 0; i < 50; i++) {
      const id = await ceo.say(adminRoom, 'help');
      if (await ceo.waitFor(repliesTo(id), 1000).then(() => true, () => false)) break;
    }
  }, 180_000);

  afterAll(async () => {
    ceo?.stop();
    await fleet?.close();
  });

  it('reload shows the hire and the departure; reload confirm makes the hire answer and the departed agent leave and go quiet', async () => {
    const dm = await ceo.openDm(departed.matrixId);
    const first = await ceo.say(dm, 'Who do you report to?');
    await ceo.waitFor((m) => m.sender === departed.matrixId && repliesTo(first)(m), 30_000);
    expect(await membership('all-employees', departed.matrixId)).toBe('join');

    expect((await command('reload')).body).toContain('nothing to reload');
    onDisk = after;
    const preview = await command('reload');
    expect(preview.body).toContain('1 hire(s), 1 departure(s)');
    expect(preview.body).toContain(hire.matrixId);
    expect(preview.body).toContain(departed.matrixId);
    expect(preview.body).toContain('reload confirm');
    const startedAt = new Map(fleet.router.registry.list().map((s) => [s.shardId, s.startedAt]));

    const applied = await command('reload confirm');
    expect(applied.body).toContain('Reloaded');
    expect(applied.body).toContain('0 failed step(s)');
    expect(applied.body).toContain('Restarting the 2 shard(s)');

    // The hire is a user now; a DM sent at once waits for the shards to restart, then is answered once.
    const hireDm = await ceo.openDm(hire.matrixId);
    const hello = await ceo.say(hireDm, 'Welcome! Who do you report to?');
    await ceo.waitFor((m) => m.sender === hire.matrixId && repliesTo(hello)(m), 60_000);
    for (const [id, at] of startedAt) expect(fleet.router.registry.list().find((s) => s.shardId === id)?.startedAt).not.toBe(at);

    // The departed agent left the company's rooms and answers nothing any more.
    expect(await membership('all-employees', departed.matrixId)).toBe('leave');
    const afterLeaving = await ceo.say(dm, 'Are you still there?');
    await new Promise((r) => setTimeout(r, 5000));
    expect(ceo.seen.filter((m) => m.sender === departed.matrixId && repliesTo(afterLeaving)(m))).toHaveLength(0);
    expect((await command(`who ${departed.name}`)).body).toContain('Nobody found');
    expect((await command('reload')).body).toContain('nothing to reload');
  }, 180_000);

  it('restart <shard> brings a shard back as a new process under the same id; it answers again', async () => {
    const agent = shardOrg.org.agents().find((p) => p.matrixId !== hire.matrixId && placeAgent(p.matrixId, ['shard-0', 'shard-1']) === 'shard-0')!;
    const was = fleet.router.registry.list().find((s) => s.shardId === 'shard-0')!.startedAt;
    expect((await command('restart shard-0')).body).toContain('Restarting shard-0');
    for (let i = 0; i < 100 && fleet.router.registry.list().find((s) => s.shardId === 'shard-0')?.startedAt === was; i++) await new Promise((r) => setTimeout(r, 200));
    expect(fleet.router.registry.list().find((s) => s.shardId === 'shard-0')?.startedAt).toBeGreaterThan(was);
    const dm = await ceo.openDm(agent.matrixId);
    const asked = await ceo.say(dm, 'Back again?');
    await ceo.waitFor((m) => m.sender === agent.matrixId && repliesTo(asked)(m), 30_000);
  }, 60_000);

  it('drain stops a drained shard that is not the highest-numbered, through the driver', async () => {
    const drain = await command('drain shard-0');
    expect(drain.body).toContain('stopped once its work is done');
    for (let i = 0; i < 150 && fleet.router.registry.isLive('shard-0'); i++) await new Promise((r) => setTimeout(r, 200));
    expect(fleet.router.registry.isLive('shard-0')).toBe(false);
    expect(fleet.shards.map((s) => s.shardId)).toEqual(['shard-1']);
    const agent = shardOrg.org.agents().find((p) => placeAgent(p.matrixId, ['shard-0', 'shard-1']) === 'shard-0')!;
    expect((await command(`where ${agent.localpart}`)).body).toContain('is on shard-1');
  }, 60_000);
});

/** The people with directReports rebuilt from reportsTo, as a hand-edited org file would load. */
function directoryOf(people: Person[], domain: string): OrgDirectory {
  const reports = new Map<string, string[]>();
  for (const p of people) if (p.reportsTo) reports.set(p.reportsTo, [...(reports.get(p.reportsTo) ?? []), p.matrixId]);
  return new OrgDirectory(people.map((p) => ({ ...p, directReports: reports.get(p.matrixId) ?? [] })), domain);
}
