import { describe, expect, it } from 'vitest';
import { BotDirectChats, type BotMatrix } from '../../../src/admin/bot-dm.ts';
import { runAdminCommand } from '../../../src/admin/commands.ts';
import type { Budgets } from '../../../src/budget/budgets.ts';
import { logger } from '../../../src/log.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import type { RoomEvent } from '../../../src/router/mentions.ts';
import { EventRouter } from '../../../src/router/route-event.ts';
import { RoomDirectory } from '../../../src/router/rooms.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { TaskService } from '../../../src/tasks/service.ts';
import { TaskStore } from '../../../src/tasks/store.ts';
import { adminContext, CEO, D } from './fixture.ts';

const BOT = `@fleet-bot:${D}`;
const base = generateOrg({ domain: D, ceo: { name: 'Morgan Blake' } });
// Two humans besides the CEO: the one who opens the direct chat, and a colleague who comes into it.
const [human, colleague] = [base[6]!.matrixId, base[7]!.matrixId];
const org = new OrgDirectory(base.map((p) => ([human, colleague].includes(p.matrixId) ? { ...p, human: true } : p)), D);
const agent = org.agents()[10]!;
const STRANGER = '@mallory:elsewhere.org';

let n = 0;
const invite = (roomId: string, sender: string): RoomEvent => ({
  event_id: `$i${++n}`, room_id: roomId, sender, type: 'm.room.member', state_key: BOT, content: { membership: 'invite', is_direct: true },
});
const member = (roomId: string, who: string, membership: string): RoomEvent => ({
  event_id: `$m${++n}`, room_id: roomId, sender: who, type: 'm.room.member', state_key: who, content: { membership },
});
const say = (roomId: string, sender: string, body: string): RoomEvent => ({
  event_id: `$e${++n}`, room_id: roomId, sender, type: 'm.room.message', content: { msgtype: 'm.text', body },
});

function setup(o: { members?: Record<string, string[]>; notifierRooms?: Record<string, string> } = {}) {
  const db = openRouterStore(':memory:');
  const tasks = new TaskService({ store: new TaskStore(db), org, botId: BOT });
  const ctx = adminContext({ org, tasks });
  const sent: Array<{ roomId: string; type: string; content: Record<string, unknown>; txn: string }> = [];
  const joined: string[] = [];
  const left: string[] = [];
  const taskRooms = new Map(Object.entries(o.notifierRooms ?? {}));
  const matrix: BotMatrix = {
    send: async (roomId, type, content, txn) => { sent.push({ roomId, type, content, txn }); },
    join: async (roomId) => { joined.push(roomId); },
    leave: async (roomId) => { left.push(roomId); },
    members: async (roomId) => o.members?.[roomId] ?? [],
  };
  const make = () => new BotDirectChats({ botId: BOT, org, ctx, db, matrix, log: logger, taskRooms: { get: (h) => taskRooms.get(h), set: (h, r) => { taskRooms.set(h, r); },
    forget: (h, r) => { if (taskRooms.get(h) === r) taskRooms.delete(h); } } });
  const chats = make();
  const notices = (roomId?: string) => sent.filter((s) => s.type === 'm.room.message' && (!roomId || s.roomId === roomId)).map((s) => String(s.content.body));
  const reactions = () => sent.filter((s) => s.type === 'm.reaction').map((s) => (s.content['m.relates_to'] as { key: string }).key);
  return { chats, make, ctx, tasks, sent, joined, left, taskRooms, notices, reactions };
}

describe('direct chats with the bot', () => {
  it('joins a human of the org\'s invite to a room of the two of them, answers tasks commands there as that human, once even when redelivered', async () => {
    const dm = '!dm:x';
    const t = setup({ members: { [dm]: [BOT, human] } });
    expect(t.chats.handle(invite(dm, human))).toBe(false); // routing still records the membership
    await t.chats.idle();
    expect(t.joined).toEqual([dm]);
    expect(t.notices(dm)[0]).toContain('Type "tasks"');
    expect(t.taskRooms.get(human)).toBe(dm); // the task notices for this person come here from now on

    const create = say(dm, human, `tasks create Write the onboarding guide --for ${agent.localpart}`);
    expect(t.chats.handle(create)).toBe(true); // a boolean at once: never routed, never waited for
    t.chats.handle(create); // the same event delivered again
    await t.chats.idle();
    // A router restarted before the event was marked done sees it once more: same transaction ids, no second task.
    const restarted = t.make();
    restarted.handle(create);
    await restarted.idle();
    const created = t.tasks.list(human, { created: true });
    expect(created.map((x) => [x.title, x.assignee, x.originRoom])).toEqual([['Write the onboarding guide', agent.matrixId, dm]]);
    const answers = t.sent.filter((s) => s.type === 'm.room.message' && (s.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id: string } } | undefined)?.['m.in_reply_to']?.event_id === create.event_id);
    expect(answers).toHaveLength(2); // the first delivery and the restarted router's: one transaction id, so the homeserver posts one
    expect(new Set(answers.map((a) => a.txn)).size).toBe(1);
    expect(answers[0]!.content).toMatchObject({ msgtype: 'm.notice', format: 'org.matrix.custom.html' });
    expect(String(answers[0]!.content.body)).toMatch(/^Created T-\d+ "Write the onboarding guide".*You are told here when it is done\./);

    t.chats.handle(say(dm, human, `tasks ${agent.localpart}`));
    t.chats.handle(say(dm, human, 'help'));
    await t.chats.idle();
    const [list, help] = t.notices(dm).slice(-2);
    expect(list).toContain('Write the onboarding guide');
    expect(help).toContain('tasks');
    expect(help).not.toContain('scale');
    expect(help).toContain('The other commands are answered in #fleet-admin:anycompany.corp.');
    expect(t.reactions()).toEqual(['✅', '✅', '✅', '✅']);
  });

  it('refuses the admin room\'s other commands with a pointer to #fleet-admin, audited as refused; nothing happens', async () => {
    const dm = '!dm2:x';
    const t = setup({ members: { [dm]: [BOT, CEO] } });
    t.chats.handle(invite(dm, CEO));
    await t.chats.idle();
    t.chats.handle(say(dm, CEO, `pause ${agent.localpart}`)); // the CEO is an admin, but not here
    t.chats.handle(say(dm, CEO, 'status'));
    t.chats.handle(say(dm, CEO, `who ${agent.name}`));
    t.chats.handle(say(dm, CEO, 'help pause'));
    await t.chats.idle();
    expect(t.ctx.controls.paused()).toEqual([]);
    const [pause, status, who, helpPause] = t.notices(dm).slice(1);
    expect(helpPause).toContain('Typed in #fleet-admin:anycompany.corp.');
    expect(pause).toBe('"pause" is not answered here: type it in #fleet-admin:anycompany.corp. Nothing was done.');
    expect(status).toContain('#fleet-admin');
    expect(who).toContain(agent.name);
    expect(t.reactions()).toEqual(['⛔', '⛔', '✅', '✅']);
    expect(t.ctx.audit.recent(10).map((e) => [e.command.split(' ')[0], e.outcome])).toEqual([['help', 'ok'], ['who', 'ok'], ['status', 'refused'], ['pause', 'refused']]);
  });

  it('declines invites from strangers, leaves an agent\'s (the fleet\'s own heartbeat room) to the router, and leaves a room with more than the bot and its inviter', async () => {
    const group = '!group:x';
    const t = setup({ members: { [group]: [BOT, human, colleague] } });
    t.chats.handle(invite('!s:x', STRANGER));
    t.chats.handle(invite('!a:x', agent.matrixId));
    t.chats.handle(invite(group, human));
    await t.chats.idle();
    expect(t.joined).toEqual([group]); // joined only to count who is there
    expect(t.left).toEqual(['!s:x', group]); // an agent's room is the router's: neither joined nor left here
    expect(t.notices(group)[0]).toContain('direct chat of you and me only');
    expect(t.chats.humanOf(group)).toBeUndefined();
    expect(t.chats.handle(say(group, human, 'tasks'))).toBe(false); // a 3-member room is not a DM: routed as usual
    await t.chats.idle();
    expect(t.notices(group)).toHaveLength(1);
    expect(t.taskRooms.size).toBe(0);
  });

  it('ignores anyone but its human in a DM, and leaves once someone else comes in', async () => {
    const dm = '!dm3:x';
    const t = setup({ members: { [dm]: [BOT, human] } });
    t.chats.handle(invite(dm, human));
    await t.chats.idle();
    // Not for agents either way; only the human's own commands get an answer (no loops with the bot's notices).
    expect(t.chats.handle(say(dm, STRANGER, 'tasks'))).toBe(true);
    expect(t.chats.handle({ ...say(dm, human, 'tasks'), content: { msgtype: 'm.notice', body: 'tasks' } })).toBe(true);
    await t.chats.idle();
    expect(t.notices(dm)).toHaveLength(1); // the welcome only
    expect(t.chats.handle(member(dm, colleague, 'join'))).toBe(false);
    await t.chats.idle();
    expect(t.left).toEqual([dm]);
    expect(t.taskRooms.has(human)).toBe(false); // task notices no longer go to a room the bot left
    expect(t.notices(dm)[1]).toContain('no longer a direct chat');
    expect(t.chats.handle(say(dm, human, 'tasks'))).toBe(false);
  });

  it('answers in the direct chat the task notifier made for a person, once it checks the room is the two of them', async () => {
    const made = '!notifier-dm:x';
    const t = setup({ members: { [made]: [BOT, human] }, notifierRooms: { [human]: made } });
    expect(t.chats.handle(say(made, human, 'tasks'))).toBe(true);
    await t.chats.idle();
    expect(t.notices(made)[0]).toContain('no open tasks');
    expect(t.chats.humanOf(made)).toBe(human);
    expect(t.chats.handle(say(made, colleague, 'tasks'))).toBe(true); // in a DM: not for agents, not answered
    expect(t.chats.handle(say('!other:x', human, 'tasks'))).toBe(false);
  });

  it('is not routed to agents: the bot is no agent, so a message in its DM addresses nobody', async () => {
    const db = openRouterStore(':memory:');
    const rooms = new RoomDirectory(db);
    rooms.loadMembers('!dm:x', [BOT, human]);
    const router = new EventRouter({ org, rooms, fetchJoinedMembers: async () => [BOT, human], fetchEventSender: async () => undefined });
    expect(await router.route(say('!dm:x', human, `tasks create Ask ${agent.name} for the plan`))).toEqual([]);
    expect(await router.route(invite('!dm:x', human))).toEqual([]);
  });
});

describe('audit of refusals', () => {
  it('records a reader\'s budget set as refused, not failed', async () => {
    const ctx = adminContext({ org, budgets: {} as Budgets });
    const result = await runAdminCommand(`budget set ${agent.localpart} $5`, ctx, { id: human, role: 'reader' });
    expect(result.ok).toBe(false);
    expect(ctx.audit.recent(1)[0]).toMatchObject({ sender: human, outcome: 'refused' });
    await runAdminCommand('budget set nobody-at-all $5', ctx, { id: CEO, role: 'admin' });
    expect(ctx.audit.recent(1)[0]).toMatchObject({ sender: CEO, outcome: 'failed' }); // a wrong scope is a failure, still
  });
});
