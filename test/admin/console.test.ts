import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_COMMAND_PATH } from '../../src/admin/commands.ts';
import { placeAgent } from '../../src/protocol/placement.ts';
import { AppserviceClient } from '../../src/provision/client.ts';
import { CEO, startTestFleet, testOrg, type TestFleet } from '../helpers/fleet.ts';
import { testHomeserver } from '../helpers/homeserver.ts';
import { Human, type SeenMessage } from '../helpers/human.ts';
import { turnStarts, until } from '../helpers/wait.ts';

/**
 * The operator's console as a real client uses it: #fleet-admin on the test Synapse, commands typed by the CEO, by a
 * human of the org who is no admin and by a stranger, answered by the appservice bot with notices and reactions.
 */
describe('#fleet-admin console on a real homeserver', () => {
  let fleet: TestFleet;
  let ceo: Human;
  let reader: Human;
  let stranger: Human;
  let adminRoom: string;
  const serverName = testHomeserver().serverName;
  // An employee of the generated org who is a human in this fleet (config org.humans), not an admin.
  const readerPerson = testOrg(serverName).agents()[900]!;

  const repliesTo = (eventId: string) => (m: SeenMessage) =>
    (m.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']?.event_id === eventId;

  /** Types a command in #fleet-admin and waits for the bot's notice answering it. */
  async function command(who: Human, text: string): Promise<{ eventId: string; answer: SeenMessage }> {
    const eventId = await who.say(adminRoom, text);
    const [answer] = await who.waitFor((m) => m.roomId === adminRoom && m.content.msgtype === 'm.notice' && repliesTo(eventId)(m));
    return { eventId, answer: answer! };
  }

  /** The reaction keys the bot put on an event. */
  async function reactions(who: Human, eventId: string): Promise<string[]> {
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${fleet.hs.url}/_matrix/client/v1/rooms/${encodeURIComponent(adminRoom)}/relations/${encodeURIComponent(eventId)}/m.annotation`,
        { headers: { authorization: `Bearer ${who.client.getAccessToken()}` } });
      const keys = ((await res.json()) as { chunk: Array<{ content: { 'm.relates_to': { key: string } } }> }).chunk.map((e) => e.content['m.relates_to'].key);
      if (keys.length > 0) return keys;
      await new Promise((r) => setTimeout(r, 100));
    }
    return [];
  }

  /** The homeserver is shared with the other suites (provisioning makes these aliases too): ours replace theirs. */
  const ownAliases: string[] = [];
  const asBotClient = () => new AppserviceClient({ homeserverUrl: testHomeserver().url, asToken: testHomeserver().registration.asToken });
  const botId = () => `@${testHomeserver().registration.senderLocalpart}:${serverName}`;
  const dropAlias = (localpart: string) => asBotClient()
    .request('DELETE', `/_matrix/client/v3/directory/room/${encodeURIComponent(`#${localpart}:${serverName}`)}`, { asUser: botId() })
    .catch(() => undefined);
  async function roomWithAlias(localpart: string, opts: { body: Record<string, unknown> }): Promise<{ room_id: string }> {
    await dropAlias(localpart);
    ownAliases.push(localpart);
    return asBotClient().request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
      asUser: botId(), body: { ...opts.body, room_alias_name: localpart },
    });
  }

  beforeAll(async () => {
    // Before the router starts, so it never learns the other suite's room for the alias.
    for (const alias of ['fleet-admin', 'all-employees']) await dropAlias(alias);
    fleet = await startTestFleet({
      // Every model answer takes a second, so a pause or a drain lands while turns run and others queue behind them.
      shards: 2, runtime: 'simple', humans: [readerPerson.localpart], modelLatencyMs: 1000,
      // The test's shard driver: scaling down closes the in-process shards above the count (drain-report-leave).
      router: { scaleShards: async (count) => {
        for (const s of fleet.shards.filter((x) => Number(x.shardId.slice('shard-'.length)) >= count)) {
          await s.close();
          fleet.shards.splice(fleet.shards.indexOf(s), 1);
        }
      } },
    });
    await fleet.hs.registerUser(CEO.localpart, CEO.password);
    await fleet.hs.registerUser(readerPerson.localpart, 'reader-password-1');
    await fleet.hs.registerUser('console.stranger', 'stranger-password-1');
    [ceo, reader, stranger] = await Promise.all([
      Human.login(fleet.hs.url, CEO.localpart, CEO.password),
      Human.login(fleet.hs.url, readerPerson.localpart, 'reader-password-1'),
      Human.login(fleet.hs.url, 'console.stranger', 'stranger-password-1'),
    ]);
    // What `./fleet provision` does: the bot creates #fleet-admin; the router learns it from the canonical alias.
    const bot = `@${fleet.hs.registration.senderLocalpart}:${serverName}`;
    const asBot = new AppserviceClient({ homeserverUrl: fleet.hs.url, asToken: fleet.hs.registration.asToken });
    ({ room_id: adminRoom } = await roomWithAlias('fleet-admin', {
      body: { name: 'Fleet admin', preset: 'public_chat', power_level_content_override: { users: { [bot]: 100, [ceo.userId]: 100 } } },
    }));
    for (const h of [ceo, reader, stranger]) await h.client.joinRoom(adminRoom);
    // The room is known once a command is answered.
    for (let i = 0; i < 50; i++) {
      const id = await ceo.say(adminRoom, 'help');
      if (await ceo.waitFor((m) => repliesTo(id)(m), 1000).then(() => true, () => false)) break;
    }
  }, 120_000);

  afterAll(async () => {
    for (const h of [ceo, reader, stranger]) h?.stop();
    // Leave the shared homeserver's aliases to the suites that provision them.
    for (const alias of ownAliases) await dropAlias(alias);
    await fleet?.close();
  });

  it('answers help by category with HTML tables, and points a typo to the right command', async () => {
    const { eventId, answer } = await command(ceo, 'help');
    expect(answer.body).toContain('Fleet');
    expect(answer.content.formatted_body).toContain('<table>');
    expect(await reactions(ceo, eventId)).toEqual(['✅']);
    const typo = await command(ceo, 'stauts');
    expect(typo.answer.body).toContain('Did you mean "status"?');
    expect(await reactions(ceo, typo.eventId)).toEqual(['⛔']);
  });

  it('lets a human of the org read but not change, refuses a stranger, and audits all of it', async () => {
    const agent = fleet.org.agents()[30]!;
    const read = await command(reader, 'status');
    expect(read.answer.body).toContain('Shards: 2 live');
    const change = await command(reader, `pause ${agent.localpart}`);
    expect(change.answer.body).toContain('only admins');
    expect(await reactions(reader, change.eventId)).toEqual(['⛔']);
    const strange = await command(stranger, 'status');
    expect(strange.answer.body).toContain('Only the humans of the org');
    expect(await reactions(stranger, strange.eventId)).toEqual(['⛔']);
    expect((await command(ceo, 'agent ' + agent.localpart)).answer.body).not.toContain('paused');
    const audit = (await command(ceo, 'audit 4')).answer.body;
    expect(audit).toContain(`${stranger.userId}  status`);
    expect(audit).toMatch(new RegExp(`${reader.userId.replace(/\./g, '\\.')}\\s+pause ${agent.localpart}\\s+refused`));
  });

  it('pause holds an agent\'s replies, even those queued on its shard; resume brings every held reply once', async () => {
    const agent = fleet.org.agents()[40]!;
    const dm = await ceo.openDm(agent.matrixId);
    const first = await ceo.say(dm, 'Who do you report to?');
    await ceo.waitFor((m) => m.sender === agent.matrixId && repliesTo(first)(m), 30_000);
    // The second waits on the shard behind the first's turn when the pause arrives: it comes back to the router.
    const running = await ceo.say(dm, 'First question while busy?');
    const queued = await ceo.say(dm, 'Second question while busy?');
    expect((await command(ceo, `pause ${agent.localpart}`)).answer.body).toContain('1 agent(s) newly paused');
    const held = await ceo.say(dm, 'Are you there?');
    await new Promise((r) => setTimeout(r, 4000));
    expect(ceo.seen.filter(repliesTo(queued))).toHaveLength(0);
    expect(ceo.seen.filter(repliesTo(held))).toHaveLength(0);
    expect((await command(ceo, `agent ${agent.localpart}`)).answer.body).toContain('state: paused');
    expect((await command(ceo, `resume ${agent.localpart}`)).answer.body).toMatch(/Resumed 1 agent\(s\).*[1-3] waiting message\(s\) handed now/);
    for (const id of [running, queued, held]) await ceo.waitFor((m) => m.sender === agent.matrixId && repliesTo(id)(m), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect([running, queued, held].map((id) => ceo.seen.filter(repliesTo(id)).length)).toEqual([1, 1, 1]);
  }, 90_000);

  it('drain moves every agent of a shard, loses no message, and stops the shard through the driver', async () => {
    const onShard1 = fleet.org.agents().filter((a) => placeAgent(a.matrixId, ['shard-0', 'shard-1']) === 'shard-1').slice(0, 3);
    const dms = await Promise.all(onShard1.map((a) => ceo.openDm(a.matrixId)));
    const asked: string[] = [];
    // Messages before, during and after the drain: each is answered exactly once.
    for (const [i, dm] of dms.entries()) asked.push(await ceo.say(dm, `Before the drain ${i}: who do you report to?`));
    const drain = await command(ceo, 'drain shard-1');
    expect(drain.answer.body).toContain('Draining shard-1');
    expect(drain.answer.body).toContain('stopped once its work is done');
    for (const [i, dm] of dms.entries()) asked.push(await ceo.say(dm, `During the drain ${i}: who do you report to?`));
    for (let i = 0; i < 150 && fleet.router.registry.isLive('shard-1'); i++) await new Promise((r) => setTimeout(r, 200));
    expect(fleet.router.registry.isLive('shard-1')).toBe(false);
    expect((await command(ceo, `where ${onShard1[0]!.localpart}`)).answer.body).toContain('is on shard-0');
    for (const [i, dm] of dms.entries()) asked.push(await ceo.say(dm, `After the drain ${i}: who do you report to?`));
    for (const id of asked) await ceo.waitFor(repliesTo(id), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(asked.map((id) => ceo.seen.filter(repliesTo(id)).length)).toEqual(asked.map(() => 1));
    expect((await command(ceo, 'shards')).answer.body).not.toContain('shard-1');
  }, 90_000);

  it('broadcast posts a notice to #all-employees that no agent answers', async () => {
    const bot = `@${fleet.hs.registration.senderLocalpart}:${serverName}`;
    const asBot = new AppserviceClient({ homeserverUrl: fleet.hs.url, asToken: fleet.hs.registration.asToken });
    const { room_id: everyone } = await roomWithAlias('all-employees', { body: { preset: 'public_chat' } });
    await ceo.client.joinRoom(everyone);
    expect((await command(reader, 'broadcast Not from you')).answer.body).toContain('only admins');
    expect((await command(ceo, 'broadcast All hands at 3pm')).answer.body).toBe('Posted to #all-employees.');
    const [notice] = await ceo.waitFor((m) => m.roomId === everyone && m.body === 'All hands at 3pm');
    expect(notice!.sender).toBe(bot);
    expect(notice!.content.msgtype).toBe('m.notice');
    expect(ceo.seen.filter((m) => m.roomId === everyone && m.body === 'Not from you')).toHaveLength(0);
  });

  it('honours power level ≥ 50 in the room: the human of the org becomes an admin', async () => {
    const bot = `@${fleet.hs.registration.senderLocalpart}:${serverName}`;
    const asBot = new AppserviceClient({ homeserverUrl: fleet.hs.url, asToken: fleet.hs.registration.asToken });
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(adminRoom)}/state/m.room.power_levels/`;
    const levels = await asBot.request<{ users: Record<string, number> }>('GET', path, { asUser: bot });
    await asBot.request('PUT', path, { asUser: bot, body: { ...levels, users: { ...levels.users, [reader.userId]: 50 } } });
    const agent = fleet.org.agents()[31]!;
    for (let i = 0; i < 50; i++) {
      const { answer } = await command(reader, `pause ${agent.localpart}`);
      if (answer.body.includes('newly paused')) break;
      await new Promise((r) => setTimeout(r, 200)); // until the router has seen the new power levels
    }
    expect((await command(reader, `resume ${agent.localpart}`)).answer.body).toContain('Resumed 1 agent(s)');
  });

  it('tasks: the CEO creates one for a manager, whose turn starts once; everyone of the org lists it; a stranger is refused', async () => {
    const manager = fleet.org.byLevel('Manager')[2]!;
    const created = (await command(ceo, `tasks create Draft the hiring plan zx81 --for ${manager.localpart} --priority high`)).answer.body;
    expect(created).toMatch(/^Created T-\d+ "Draft the hiring plan zx81" \(task, assigned, for /);
    const id = created.match(/T-\d+/)![0];
    await until('the assignee works on its task', () => turnStarts(fleet.model, manager.matrixId, 'zx81') > 0, 30_000);
    expect((await command(reader, `tasks ${manager.localpart}`)).answer.body).toContain('1 open task(s)');
    expect((await command(ceo, `tasks show ${id}`)).answer.body).toContain('zx81');
    expect((await command(ceo, `agent ${manager.localpart}`)).answer.body).toContain('open tasks: 1');
    const refused = await command(stranger, 'tasks all');
    expect(refused.answer.body).not.toContain('zx81');
    expect(turnStarts(fleet.model, manager.matrixId, 'zx81')).toBe(1);
  });

  it('runs the same commands from ./fleet admin against the running router (fleet secret)', async () => {
    const post = (auth: string, command: string) => fetch(`${fleet.routerUrl}${ADMIN_COMMAND_PATH}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` }, body: JSON.stringify({ command }),
    });
    expect((await post('wrong', 'status')).status).toBe(403);
    const res = await post(fleet.shardSecret, 'status');
    const body = (await res.json()) as { ok: boolean; text: string };
    expect(body.ok).toBe(true);
    expect(body.text).toContain('Shards: 1 live');
    expect((await command(ceo, 'audit 1')).answer.body).toContain('cli');
  });
});
