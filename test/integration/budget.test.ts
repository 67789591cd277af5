import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTBEAT_MARKER } from '../../src/heartbeat/index.ts';
import { CEO, startTestFleet, testOrg, type TestFleet, type TestFleetOptions } from '../helpers/fleet.ts';
import { testHomeserver } from '../helpers/homeserver.ts';
import { Human, type SeenMessage } from '../helpers/human.ts';
import { openAdminRoom, type TestAdminRoom } from '../helpers/admin-room.ts';
import { repliesTo, sleep, turnStarts, until } from '../helpers/wait.ts';

/**
 * Budgets and the heartbeat on a real homeserver: an agent with a tiny budget answers once and is then paused (one
 * notice, #fleet-admin told, nothing answered later) until `budget set` raises it; and the heartbeat, on a simulated
 * clock, costs no model call in an idle hour. Model calls are counted per (agent, message) with turnStarts.
 */
describe('budgets and heartbeat', () => {
  let fleet: TestFleet;
  let ceo: Human;
  let admin: TestAdminRoom;
  const serverName = testHomeserver().serverName;
  let heartbeatAgent: string;

  const command = (text: string): Promise<SeenMessage> => admin.command(text);

  beforeAll(async () => {
    heartbeatAgent = testOrg(serverName).byLevel('Manager')[3]!.matrixId;
    // One agent opted in to the heartbeat, every other agent off (the default).
    const router: TestFleetOptions['router'] = { heartbeat: { intervalMinutes: 10, jitterMinutes: 0, levels: {}, agents: { [heartbeatAgent]: { enabled: true } }, timeZone: 'UTC' } };
    fleet = await startTestFleet({ runtime: 'simple', router });
    await fleet.hs.registerUser(CEO.localpart, CEO.password);
    ceo = await Human.login(fleet.hs.url, CEO.localpart, CEO.password);
    admin = await openAdminRoom(ceo);
  }, 180_000);

  afterAll(async () => {
    ceo?.stop();
    await admin?.close();
    await fleet?.close();
  });

  it('an agent over budget is paused and told: one answer, one notice, #fleet-admin told, answered again once raised', async () => {
    const agent = fleet.org.agents()[55]!;
    expect((await command(`budget set ${agent.localpart} 1 tokens`)).body).toContain('Budget set');
    const room = await ceo.openDm(agent.matrixId);
    await until('the agent joined', async () => (await ceo.joinedMembers(room)).includes(agent.matrixId));

    const first = await ceo.say(room, 'budget probe one');
    await ceo.waitFor((m) => m.sender === agent.matrixId && repliesTo(first)(m), 30_000);
    await until('the turn reached the ledger', () => fleet.router.budgets.overBudget(agent.matrixId) !== undefined, 20_000);
    const [alert] = await ceo.waitFor((m) => m.roomId === admin.roomId && m.body.startsWith('Budget used up') && m.body.includes(agent.name), 20_000);
    expect(alert!.body).toContain(`budget set ${agent.matrixId}`);

    const second = await ceo.say(room, 'budget probe two');
    const [notice] = await ceo.waitFor((m) => m.sender === agent.matrixId && repliesTo(second)(m), 20_000);
    expect(notice!.content.msgtype).toBe('m.notice');
    expect(notice!.body).toContain('budget');
    await ceo.say(room, 'budget probe three');
    expect((await command(`agent ${agent.localpart}`)).body).toContain('over budget');
    await sleep(2000);
    expect(ceo.seen.filter((m) => m.roomId === room && m.sender === agent.matrixId)).toHaveLength(2);

    expect((await command(`budget set ${agent.localpart} 1M tokens`)).body).not.toContain('OVER BUDGET');
    const fourth = await ceo.say(room, 'budget probe four');
    await ceo.waitFor((m) => m.sender === agent.matrixId && repliesTo(fourth)(m), 30_000);
    await sleep(1000);
    expect(turnStarts(fleet.model, agent.matrixId, 'budget probe one')).toBe(1);
    expect(turnStarts(fleet.model, agent.matrixId, 'budget probe two')).toBe(0);
    expect(turnStarts(fleet.model, agent.matrixId, 'budget probe three')).toBe(0);
    expect(turnStarts(fleet.model, agent.matrixId, 'budget probe four')).toBe(1);
    expect((await command(`budget ${agent.localpart}`)).body).toMatch(/tokens of 1,000,000 tokens \(set live\)/);
  }, 120_000);

  it('heartbeat: an idle simulated hour makes zero model calls; an open task makes the opted-in agent beat', async () => {
    await sleep(1000);
    const before = fleet.model.requests().length;
    const hour = 3600_000;
    let now = Date.now();
    for (const end = now + hour; now <= end; now += 30_000) fleet.router.heartbeat.tick(now);
    await sleep(3000);
    expect(fleet.model.requests().length - before).toBe(0);

    fleet.router.tasks.create({ id: ceo.userId }, { title: 'Budget review for Q1', assignee: heartbeatAgent });
    // Simulated time, but each beat is answered before the clock moves on, as ten real minutes would allow.
    let beats = 0;
    for (const end = now + hour; now <= end; now += 30_000) {
      const woke = fleet.router.heartbeat.tick(now);
      if (woke === 0) continue;
      beats += woke;
      await until(`beat ${beats} reached the agent`, () => turnStarts(fleet.model, heartbeatAgent, HEARTBEAT_MARKER) >= beats, 30_000);
    }
    // 10-minute interval: six beats in the hour, each one model turn of that agent and of no other.
    expect(beats).toBe(6);
    await sleep(1000);
    expect(turnStarts(fleet.model, heartbeatAgent, HEARTBEAT_MARKER)).toBe(beats);
    const beaten = new Set(fleet.model.requests().filter((r) => r.messages.at(-1)?.content.includes(HEARTBEAT_MARKER)).map((r) => r.agentId));
    expect([...beaten]).toEqual([heartbeatAgent]);
  }, 120_000);
});
