import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CEO, startTestFleet, testOrg, type TestFleet } from '../helpers/fleet.ts';
import { testHomeserver } from '../helpers/homeserver.ts';
import { Human, type SeenMessage } from '../helpers/human.ts';
import { repliesTo, turnStarts, until } from '../helpers/wait.ts';

/**
 * Direct chats with the fleet bot as a real client opens them: an employee who is not in #fleet-admin invites the
 * bot, types the tasks commands and gets the answers there; the CEO moves the task along from a DM of their own and
 * the employee is told in theirs. A room of three is left, and nothing said to the bot reaches an agent.
 */
describe('a direct chat with the fleet bot on a real homeserver', () => {
  let fleet: TestFleet;
  let ceo: Human;
  let employee: Human;
  let stranger: Human;
  let bot: string;
  const serverName = testHomeserver().serverName;
  // An employee of the generated org who is a human in this fleet (config org.humans), not an admin.
  const person = testOrg(serverName).agents()[901]!;

  const fromBot = (roomId: string) => (m: SeenMessage) => m.roomId === roomId && m.sender === bot && m.content.msgtype === 'm.notice';

  /** Types a command in a direct chat and waits for the bot's notice answering it. */
  async function command(who: Human, roomId: string, text: string): Promise<string> {
    const eventId = await who.say(roomId, text);
    const [answer] = await who.waitFor((m) => fromBot(roomId)(m) && repliesTo(eventId)(m));
    return answer!.body;
  }

  /** Opens a direct chat with the bot and waits for its hello (it has joined). */
  async function openDm(who: Human): Promise<string> {
    const roomId = await who.openDm(bot);
    await who.waitFor((m) => fromBot(roomId)(m) && m.body.startsWith('Hello'), 30_000);
    return roomId;
  }

  beforeAll(async () => {
    fleet = await startTestFleet({ shards: 1, runtime: 'simple', humans: [person.localpart] });
    bot = `@${fleet.hs.registration.senderLocalpart}:${serverName}`;
    await fleet.hs.registerUser(CEO.localpart, CEO.password);
    await fleet.hs.registerUser(person.localpart, 'employee-password-1');
    await fleet.hs.registerUser('dm.stranger', 'stranger-password-1');
    [ceo, employee, stranger] = await Promise.all([
      Human.login(fleet.hs.url, CEO.localpart, CEO.password),
      Human.login(fleet.hs.url, person.localpart, 'employee-password-1'),
      Human.login(fleet.hs.url, 'dm.stranger', 'stranger-password-1'),
    ]);
  }, 120_000);

  afterAll(async () => {
    for (const h of [ceo, employee, stranger]) h?.stop();
    await fleet?.close();
  });

  it('takes tasks commands from an employee in a DM, answers there, and tells them there when the task is done', async () => {
    const dm = await openDm(employee);
    expect((await employee.joinedMembers(dm)).sort()).toEqual([bot, employee.userId].sort());
    const manager = fleet.org.byLevel('Manager')[3]!;
    const createId = await employee.say(dm, `tasks create Plan the offsite qq42 --for ${manager.localpart}`);
    const [created] = await employee.waitFor((m) => fromBot(dm)(m) && repliesTo(createId)(m));
    expect(created!.body).toMatch(/^Created T-\d+ "Plan the offsite qq42" \(task, assigned, for .*You are told here when it is done\./);
    expect(created!.content.formatted_body).toContain('<p>');
    const id = created!.body.match(/T-\d+/)![0];
    await until('the assignee works on its task', () => turnStarts(fleet.model, manager.matrixId, 'qq42') > 0, 30_000);
    expect(await command(employee, dm, `tasks ${manager.localpart}`)).toContain('qq42');
    expect(await command(employee, dm, `pause ${manager.localpart}`)).toContain(`type it in #fleet-admin:${serverName}`);

    // The CEO (everyone's manager) finishes it from a DM of their own; the employee hears it where they asked.
    const ceoDm = await openDm(ceo);
    expect(await command(ceo, ceoDm, `tasks status ${id} in_progress`)).toContain('is now in_progress');
    expect(await command(ceo, ceoDm, `tasks status ${id} done`)).toContain('is now done');
    const [told] = await employee.waitFor((m) => fromBot(dm)(m) && repliesTo(createId)(m) && m.body.includes('which you created, is done'), 30_000);
    expect(told!.body).toBe(`${person.name}: ${id} "Plan the offsite qq42", which you created, is done (${CEO.name}).`);
    // The bot is nobody's agent: of everything said in the two DMs only the assignment reached a model.
    expect(turnStarts(fleet.model, manager.matrixId, 'qq42')).toBe(1);
    expect(fleet.model.requests().filter((r) => JSON.stringify(r).includes('tasks status')).length).toBe(0);
  });

  it('declines the invite of someone on the server who is not of the org', async () => {
    const dm = await stranger.openDm(bot);
    const membership = async () => (await stranger.client.getStateEvent(dm, 'm.room.member', bot) as { membership?: string }).membership;
    await until('the bot declined', async () => (await membership()) === 'leave', 30_000);
  });

  it('leaves a room of more than the bot and the human who invited it', async () => {
    const group = await employee.createGroup('Not a DM', [bot, ceo.userId]);
    const [notice] = await employee.waitFor((m) => fromBot(group)(m), 30_000);
    expect(notice!.body).toContain('direct chat of you and me only');
    await until('the bot left', async () => !(await employee.joinedMembers(group)).includes(bot), 30_000);
  });
});
