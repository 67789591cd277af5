import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Person } from '../../src/org/types.ts';
import type { ScriptRule } from '../../src/providers/scripted/brain.ts';
import { parseTaskRef } from '../../src/tasks/model.ts';
import { openAdminRoom, type TestAdminRoom } from '../helpers/admin-room.ts';
import { CEO, startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { Human, type SeenMessage } from '../helpers/human.ts';
import { sleep, turnStarts, until } from '../helpers/wait.ts';

const FLOW = 'Ship the onboarding flow qx42';
const inReplyTo = (m: SeenMessage): string | undefined =>
  (m.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']?.event_id;

/**
 * Issue 9's working day on a real homeserver, two shards, the OpenClaw runtime on the scripted model: the CEO
 * creates a task for a manager in #fleet-admin; the manager splits it into two tasks for two of its engineers with
 * the tasks tool; each engineer moves theirs to done; the tracker tells the manager, who closes the parent, and the
 * CEO is told where they asked. Then two agents race to take one task. Exactly once is counted in model calls per
 * (agent, message); the model calls and tokens of each task are printed (and checked against the router's ledger).
 */
describe('tasks: a human\'s task split, done and reported back; a race to take one', () => {
  let fleet: TestFleet;
  let ceo: Human;
  let admin: TestAdminRoom;

  beforeAll(async () => {
    fleet = await startTestFleet({ runtime: 'openclaw', shards: 2 });
    await fleet.hs.registerUser(CEO.localpart, CEO.password).catch(() => undefined);
    ceo = await Human.login(fleet.hs.url, CEO.localpart, CEO.password);
    admin = await openAdminRoom(ceo);
  }, 180_000);

  afterAll(async () => {
    if (process.env.FLEET_TEST_DUMP_MODEL) {
      for (const r of fleet?.model.requests() ?? []) console.log(r.agentId, JSON.stringify(r.messages.at(-1)?.content.slice(0, 300)), '→', JSON.stringify(r.reply).slice(0, 300));
    }
    ceo?.stop();
    await admin?.close();
    await fleet?.close();
  });

  /** The manager's script: split the task, then on each child's "done" read the parent and close it when all are. */
  function managerScript(manager: Person, [a, b]: Person[]): ScriptRule[] {
    const tasks = (args: Record<string, unknown>) => [{ name: 'tasks', arguments: args }];
    return [
      { agent: manager.matrixId, match: `assigned you (T-\\d+) "${FLOW}"`, toolCalls: tasks({ action: 'status', id: '{{match.1}}', status: 'in_progress' }) },
      { agent: manager.matrixId, when: 'tool', match: '^(T-\\d+) is now in_progress',
        toolCalls: tasks({ action: 'create', title: 'qx42 part A: sign-up screens', kind: 'task', parent: '{{match.1}}', assignee: a!.name }) },
      { agent: manager.matrixId, when: 'tool', match: '^Created T-\\d+ \\[assigned\\] task "qx42 part A[^\\n]*[(, ]in (T-\\d+)\\)',
        toolCalls: tasks({ action: 'create', title: 'qx42 part B: welcome e-mails', kind: 'task', parent: '{{match.1}}', assignee: b!.name, priority: 'high' }) },
      { agent: manager.matrixId, when: 'tool', match: '^Created T-\\d+ \\[assigned\\] task "qx42 part B', reply: 'I have split it into two tasks for my engineers.' },
      { agent: manager.matrixId, match: '(T-\\d+) "qx42 part [AB][^"]*", which you created, is done', toolCalls: tasks({ action: 'get', id: '{{match.1}}' }) },
      { agent: manager.matrixId, when: 'tool', match: '^T-\\d+ \\[done\\] task "qx42 part[^\\n]*[(, ]in (T-\\d+)\\)', toolCalls: tasks({ action: 'get', id: '{{match.1}}' }) },
      { agent: manager.matrixId, when: 'tool', match: `^(T-\\d+) \\[in_progress\\] task "${FLOW}"[\\s\\S]*children:\\n\\s+T-\\d+ \\[done\\][^\\n]*\\n\\s+T-\\d+ \\[done\\]`,
        toolCalls: tasks({ action: 'status', id: '{{match.1}}', status: 'done', note: 'Both parts shipped: sign-up screens and welcome e-mails.' }) },
      // The tracker tells the CEO; one part still open, or already closed: nothing to say.
      { agent: manager.matrixId, when: 'tool', reply: '' },
    ];
  }

  /** An engineer starts its task, finishes it, and says nothing more: "done" tells the manager. */
  const engineerScript = (ic: Person, part: 'A' | 'B'): ScriptRule[] => [
    { agent: ic.matrixId, match: `assigned you (T-\\d+) "qx42 part ${part}`, toolCalls: [{ name: 'tasks', arguments: { action: 'status', id: '{{match.1}}', status: 'in_progress' } }] },
    { agent: ic.matrixId, when: 'tool', match: '^(T-\\d+) is now in_progress',
      toolCalls: [{ name: 'tasks', arguments: { action: 'status', id: '{{match.1}}', status: 'done', note: `Part ${part} shipped, tested on staging.` } }] },
    { agent: ic.matrixId, when: 'tool', match: 'is now done', reply: '' },
  ];

  /** Model calls and tokens of one agent (every call of the test's agents belongs to its one task). */
  function spendOf(agent: Person): { calls: number; tokens: number; ledger: number } {
    const calls = fleet.model.requests().filter((r) => r.agentId === agent.matrixId && !r.fault);
    const tokens = calls.reduce((n, r) => n + (r.usage ? r.usage.inputTokens + r.usage.outputTokens : 0), 0);
    return { calls: calls.length, tokens, ledger: fleet.router.budgets.status(`agent:${agent.matrixId}`).spent.tokens };
  }

  it('the CEO\'s task for a manager is split for two engineers, both finish, the manager closes it and the CEO is told once', async () => {
    const manager = fleet.org.byLevel('Manager').filter((m) => fleet.org.reports(m.matrixId).filter((r) => !r.human).length >= 2)[7]!;
    const [icA, icB] = fleet.org.reports(manager.matrixId).filter((r) => !r.human) as [Person, Person];
    await fleet.model.setRules([...managerScript(manager, [icA, icB]), ...engineerScript(icA, 'A'), ...engineerScript(icB, 'B')]);

    const created = await admin.command(`tasks create ${FLOW} --for ${manager.localpart} --description Split it between two of your engineers.`);
    expect(created.body).toMatch(new RegExp(`^Created T-\\d+ "${FLOW}" \\(task, assigned, for `));
    const parentId = parseTaskRef(created.body.match(/T-\d+/)![0])!;

    // The CEO is told in #fleet-admin, in reply to the command, once the manager closes the parent.
    const [told] = await ceo.waitFor((m) => m.roomId === admin.roomId && m.body.includes(`"${FLOW}", which you created, is done`), 90_000);
    expect(told!.body).toContain(`(${manager.name}). Both parts shipped`);
    expect(inReplyTo(told!)).toBe(inReplyTo(created));
    await sleep(3000); // anything still on its way arrives by now

    const { task: parent, children, history } = fleet.router.tasks.get(parentId);
    expect(parent.status).toBe('done');
    expect(parent.creator).toBe(ceo.userId);
    expect(children.map((c) => [c.title.slice(0, 11), c.assignee, c.status, c.creator])).toEqual([
      ['qx42 part A', icA.matrixId, 'done', manager.matrixId],
      ['qx42 part B', icB.matrixId, 'done', manager.matrixId],
    ]);
    expect(history.filter((e) => e.action === 'status').map((e) => `${e.from}→${e.to}`)).toEqual(['assigned→in_progress', 'in_progress→done']);
    for (const c of children) {
      const steps = fleet.router.tasks.get(c.id).history.filter((e) => e.action === 'status').map((e) => `${e.from}→${e.to}`);
      expect(steps).toEqual(['assigned→in_progress', 'in_progress→done']);
    }

    // One model turn per (agent, message): the manager's assignment and each child's "done"; each engineer's assignment.
    const ref = (id: number) => `T-${id}`;
    expect(turnStarts(fleet.model, manager.matrixId, `assigned you ${ref(parentId)} "${FLOW}"`)).toBe(1);
    for (const [c, ic] of [[children[0]!, icA], [children[1]!, icB]] as const) {
      expect(turnStarts(fleet.model, ic.matrixId, `assigned you ${ref(c.id)} "`)).toBe(1);
      expect(turnStarts(fleet.model, manager.matrixId, `${ref(c.id)} "${c.title}", which you created, is done`)).toBe(1);
    }
    // The CEO saw the outcome once, and nothing else of the work (the engineers and the manager spoke among themselves).
    expect(ceo.seen.filter((m) => m.body.includes(`"${FLOW}", which you created, is done`))).toHaveLength(1);
    expect(ceo.seen.filter((m) => [manager.matrixId, icA.matrixId, icB.matrixId].includes(m.sender))).toEqual([]);

    // The figure the issue asks for: model calls and tokens per task, counted at the model and in the router's ledger.
    await until('the last turns reached the ledger', () => [manager, icA, icB].every((p) => spendOf(p).ledger >= spendOf(p).tokens), 20_000);
    const rows = [[parent, manager], [children[0]!, icA], [children[1]!, icB]] as const;
    const table = rows.map(([t, who]) => ({ task: ref(t.id), title: t.title, assignee: who.name, ...spendOf(who) }));
    console.log(`model calls and tokens per task (scripted model, OpenClaw runtime, 2 shards):\n${table.map((r) =>
      `  ${r.task} ${r.title.padEnd(32)} ${r.assignee.padEnd(22)} calls ${String(r.calls).padStart(2)}  tokens ${String(r.tokens).padStart(6)}  ledger ${r.ledger}`).join('\n')}\n` +
      `  total: calls ${table.reduce((n, r) => n + r.calls, 0)}, tokens ${table.reduce((n, r) => n + r.tokens, 0)}`);
    // Manager: status, create, create, closing text; per "done": get the child, get the parent, silence (+ closing it once).
    expect(table.map((r) => r.calls)).toEqual([11, 3, 3]);
    for (const r of table) expect(r.ledger).toBe(r.tokens);
  }, 150_000);

  it('two agents race to take one task: one wins, the other is told who has it', async () => {
    const [r1, r2] = fleet.org.byLevel('IC').slice(40, 42) as [Person, Person];
    const rules: ScriptRule[] = [r1, r2].flatMap((p): ScriptRule[] => [
      { agent: p.matrixId, match: 'take (T-\\d+) \\(rx77\\)', toolCalls: [{ name: 'tasks', arguments: { action: 'take', id: '{{match.1}}' } }] },
      { agent: p.matrixId, when: 'tool', match: '^You took (T-\\d+)', reply: 'I took {{match.1}}; on it.' },
      { agent: p.matrixId, when: 'tool', match: 'already taken', reply: 'It is already taken, so I leave it.' },
    ]);
    await fleet.model.setRules(rules);
    const created = await admin.command('tasks create Fix the flaky build rx77');
    expect(created.body).toMatch(/^Created T-\d+ "Fix the flaky build rx77" \(task, inbox/);
    const id = created.body.match(/T-\d+/)![0];

    const room = await ceo.createGroup('flaky build', [r1.matrixId, r2.matrixId]);
    await until('both joined', async () => { const m = await ceo.joinedMembers(room); return m.includes(r1.matrixId) && m.includes(r2.matrixId); });
    await ceo.say(room, `${r1.name}, ${r2.name}: whoever is free, take ${id} (rx77).`, { 'm.mentions': { user_ids: [r1.matrixId, r2.matrixId] } });
    const answers = await ceo.waitFor((m) => m.roomId === room && [r1.matrixId, r2.matrixId].includes(m.sender), 60_000, 2);
    await sleep(2000);

    const { task, history } = fleet.router.tasks.get(parseTaskRef(id)!);
    const winner = [r1, r2].find((p) => p.matrixId === task.assignee)!;
    expect(winner).toBeDefined();
    expect(task.status).toBe('in_progress');
    expect(history.filter((e) => e.action === 'assigned')).toHaveLength(1);
    expect(answers.filter((m) => m.sender === winner.matrixId).map((m) => m.body)).toEqual([`I took ${id}; on it.`]);
    expect(answers.filter((m) => m.sender !== winner.matrixId).map((m) => m.body)).toEqual(['It is already taken, so I leave it.']);
    expect(ceo.seen.filter((m) => m.roomId === room && m.sender !== ceo.userId)).toHaveLength(2);
    for (const p of [r1, r2]) {
      expect(turnStarts(fleet.model, p.matrixId, `take ${id} (rx77)`)).toBe(1);
      expect(spendOf(p).calls).toBe(2);
    }
    const loser = [r1, r2].find((p) => p !== winner)!;
    const refusal = fleet.model.requests().find((r) => r.agentId === loser.matrixId && r.messages.at(-1)?.role === 'tool')!;
    expect(refusal.messages.at(-1)!.content).toContain(`already taken by ${winner.name}`);
  }, 120_000);
});
