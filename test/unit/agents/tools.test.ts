import { beforeEach, describe, expect, it } from 'vitest';
import { ColleagueMessageBudget, messageColleagueTool, peopleTool, recallTool, rememberTool, ToolInputError, type ToolContext } from '../../../src/agents/tools/index.ts';
import { AgentWorkspace } from '../../../src/agents/workspace/workspace.ts';
import { TurnAnswer } from '../../../src/agents/tools/turn-answer.ts';
import { cast, recordingServices, tempDataDir, testOrg } from './helpers.ts';

const org = testOrg();
const { ceo, agent, manager, report, peer } = cast(org);
let ctx: ToolContext;
let services: ReturnType<typeof recordingServices>;

beforeEach(() => {
  services = recordingServices();
  ctx = {
    agent,
    org,
    workspace: new AgentWorkspace(tempDataDir(), agent.matrixId),
    services,
    roomId: '!general:anycompany.corp',
    isDirect: false,
    sender: { id: ceo.matrixId, name: ceo.name, human: true },
    conversation: { rootEventId: '$root', rootRoomId: '!general:anycompany.corp', rootSender: ceo.matrixId, hop: 0 },
    colleagueMessages: new ColleagueMessageBudget({ perTurn: 2, perConversation: 3 }).forTurn('$root'),
    now: () => new Date('2026-11-23T09:00:00Z'),
  };
});

describe('people', () => {
  it('finds a person by name or matrix id, with manager and report count', async () => {
    const byName = await peopleTool.run({ action: 'find', name: agent.name }, ctx);
    expect(byName.text).toContain(agent.title);
    expect(byName.text).toContain(`Manager: ${manager.name}`);
    expect(byName.text).toContain(`Direct reports: ${org.reports(agent.matrixId).length}`);
    const byLocalpart = await peopleTool.run({ action: 'find', name: agent.matrixId.slice(1).split(':')[0] }, ctx);
    expect(byLocalpart.text).toBe(byName.text);
  });

  it('answers manager, reports and chain', async () => {
    expect((await peopleTool.run({ action: 'manager', name: agent.matrixId }, ctx)).text).toContain(`reports to ${manager.name}`);
    expect((await peopleTool.run({ action: 'reports', name: agent.name }, ctx)).text).toContain(report.name);
    const chain = (await peopleTool.run({ action: 'chain', name: report.name }, ctx)).text;
    expect(chain.indexOf(agent.name)).toBeGreaterThan(-1);
    expect(chain.indexOf(agent.name)).toBeLessThan(chain.indexOf(ceo.name));
  });

  it('lists by department, team, title, level and the whole company', async () => {
    expect((await peopleTool.run({ action: 'department', name: agent.department }, ctx)).text).toContain(agent.name);
    if (agent.team) expect((await peopleTool.run({ action: 'team', query: agent.team }, ctx)).text).toContain(agent.name);
    expect((await peopleTool.run({ action: 'title', query: agent.title }, ctx)).text).toContain(agent.name);
    expect((await peopleTool.run({ action: 'level', level: agent.level }, ctx)).text).toContain(agent.name);
    expect((await peopleTool.run({ action: 'list' }, ctx)).text).toMatch(new RegExp(`^${org.all().length} people in \\d+ departments`));
    expect((await peopleTool.run({ action: 'search', query: peer.name }, ctx)).text).toContain(peer.matrixId);
  });

  it('caps the number of people listed', async () => {
    const text = (await peopleTool.run({ action: 'search', query: 'a', limit: 1 }, ctx)).text;
    expect(text.split('\n').filter((l) => l.includes(' — '))).toHaveLength(1);
    expect(text).toMatch(/… and \d+ more/);
  });

  it('rejects unknown people and bad actions with a message for the model', async () => {
    await expect(peopleTool.run({ action: 'find', name: 'Nobody Atall' }, ctx)).rejects.toThrow(/nobody called/);
    await expect(peopleTool.run({ action: 'fire', name: agent.name }, ctx)).rejects.toThrow(ToolInputError);
  });
});

describe('message_colleague', () => {
  it('resolves a name and hands the message to the services with room and conversation', async () => {
    const out = await messageColleagueTool.run({ to: peer.name, text: 'Can you send me the Q3 numbers?' }, ctx);
    expect(services.sent).toEqual([{ from: agent.matrixId, to: peer.matrixId, text: 'Can you send me the Q3 numbers?', opts: { roomId: '!general:anycompany.corp', conversation: ctx.conversation } }]);
    expect(out.text).toContain(`Sent to ${peer.name}`);
  });

  it('uses the direct chat when asked', async () => {
    await messageColleagueTool.run({ to: peer.matrixId, text: 'hi', room: 'direct' }, ctx);
    expect(services.sent[0]?.opts.roomId).toBeUndefined();
  });

  it('refuses unknown people, outsiders and oneself, sending nothing', async () => {
    await expect(messageColleagueTool.run({ to: 'Nobody Atall', text: 'hi' }, ctx)).rejects.toThrow(/nobody called/);
    await expect(messageColleagueTool.run({ to: `@${ceo.localpart}:evil.org`, text: 'hi' }, ctx)).rejects.toThrow(/nobody called/);
    await expect(messageColleagueTool.run({ to: agent.matrixId, text: 'hi' }, ctx)).rejects.toThrow(/that is you/);
    await expect(messageColleagueTool.run({ to: peer.name }, ctx)).rejects.toThrow(ToolInputError);
    expect(services.sent).toEqual([]);
    expect(services.toHumans).toEqual([]);
  });
});

describe('message_colleague to a human of the org', () => {
  it('to the person this turn answers: becomes the answer, posted where they asked, whatever room is named', async () => {
    const answer = new TurnAnswer({ eventId: '$turn', to: ceo.matrixId, sender: peer.matrixId });
    const out = await messageColleagueTool.run({ to: ceo.name, text: 'Migration: 75% done', room: 'direct' }, { ...ctx, answer });
    expect(out.text).toMatch(/this is your answer to .* posted in the room where they asked/);
    expect(answer.compose('Thanks, I have reported back.')).toBe('Migration: 75% done');
    expect(services.toHumans).toEqual([]);
    expect(services.sent).toEqual([]);
  });

  it('to a human the turn does not answer: sent through the services, named by the turn and its place in it', async () => {
    const answer = new TurnAnswer({ eventId: '$turn', to: peer.matrixId, sender: peer.matrixId });
    await messageColleagueTool.run({ to: ceo.name, text: 'FYI one' }, { ...ctx, answer });
    await messageColleagueTool.run({ to: ceo.matrixId, text: 'FYI two', room: 'direct' }, { ...ctx, answer });
    expect(services.toHumans.map((m) => [m.to, m.text, m.opts.direct, m.opts.turnEventId, m.opts.nth])).toEqual([
      [ceo.matrixId, 'FYI one', false, '$turn', 0],
      [ceo.matrixId, 'FYI two', true, '$turn', 1],
    ]);
    expect(services.toHumans[0]!.opts.conversation).toEqual(ctx.conversation);
  });

  it('a refusal (the daily bound) is a tool error telling the model to answer in its final text', async () => {
    services.messageHuman = async () => ({ refused: 'agents have already sent this person 20 messages today (the limit).' });
    await expect(messageColleagueTool.run({ to: ceo.name, text: 'again' }, ctx)).rejects.toThrow(/refused: .*20 messages today.*final answer/);
  });

  it('counts against the per-turn allowance like any colleague message', async () => {
    const answer = new TurnAnswer({ eventId: '$turn', to: peer.matrixId, sender: peer.matrixId });
    await messageColleagueTool.run({ to: ceo.name, text: 'one' }, { ...ctx, answer });
    await messageColleagueTool.run({ to: peer.name, text: 'two' }, { ...ctx, answer });
    await expect(messageColleagueTool.run({ to: ceo.name, text: 'three' }, { ...ctx, answer })).rejects.toThrow(/refused: you already sent 2/);
    expect(services.toHumans).toHaveLength(1);
  });
});

describe('message_colleague caps', () => {
  it('refuses calls over the per-turn cap with a tool result that says why, sending nothing more', async () => {
    await messageColleagueTool.run({ to: peer.name, text: 'one' }, ctx);
    await messageColleagueTool.run({ to: peer.name, text: 'two' }, ctx);
    await expect(messageColleagueTool.run({ to: peer.name, text: 'three' }, ctx))
      .rejects.toThrow(/^message_colleague refused: you already sent 2 colleague messages while handling this message/);
    expect(services.sent.map((s) => s.text)).toEqual(['one', 'two']);
  });

  it('counts a conversation across turns and agents', async () => {
    const budget = new ColleagueMessageBudget({ perTurn: 2, perConversation: 3 });
    const turn = () => ({ ...ctx, colleagueMessages: budget.forTurn('$root') });
    const first = turn();
    await messageColleagueTool.run({ to: peer.name, text: 'a' }, first);
    await messageColleagueTool.run({ to: peer.name, text: 'b' }, first);
    const second = turn();
    await messageColleagueTool.run({ to: peer.name, text: 'c' }, second);
    await expect(messageColleagueTool.run({ to: peer.name, text: 'd' }, second)).rejects.toThrow(/this conversation has already caused 3 colleague messages/);
    // Another conversation has its own budget.
    await messageColleagueTool.run({ to: peer.name, text: 'e' }, { ...ctx, colleagueMessages: budget.forTurn('$other') });
    expect(services.sent.map((s) => s.text)).toEqual(['a', 'b', 'c', 'e']);
  });

  it('does not spend the budget on calls refused for other reasons', async () => {
    await expect(messageColleagueTool.run({ to: '@eve:evil.org', text: 'hi' }, ctx)).rejects.toThrow(/nobody called/);
    await messageColleagueTool.run({ to: peer.name, text: 'one' }, ctx);
    await messageColleagueTool.run({ to: peer.name, text: 'two' }, ctx);
    expect(services.sent).toHaveLength(2);
  });
});

describe('remember / recall', () => {
  it('keeps a note with who said it, where and when, and finds it again', async () => {
    const saved = await rememberTool.run({ note: 'The offsite is in Lisbon' }, ctx);
    expect(saved.text).toBe('Saved (recalled in every room): The offsite is in Lisbon');
    expect((await recallTool.run({ query: 'offsite' }, ctx)).text)
      .toBe(`- 2026-11-23 ${ceo.name} (${ceo.matrixId}, human) said here: "The offsite is in Lisbon"`);
    expect((await recallTool.run({ query: 'payroll' }, ctx)).text).toBe('No notes mention "payroll".');
    await expect(rememberTool.run({ note: '   ' }, ctx)).rejects.toThrow(ToolInputError);
  });

  it('keeps a note marked private, or made in a direct chat, to its room', async () => {
    await rememberTool.run({ note: 'Layoffs are planned for March', private: true }, ctx);
    await rememberTool.run({ note: 'My salary is 190k' }, { ...ctx, roomId: '!dm:anycompany.corp', isDirect: true });
    expect((await recallTool.run({ query: 'layoffs' }, ctx)).text).toContain('private to this room: "Layoffs are planned for March"');
    expect((await recallTool.run({ query: 'salary' }, ctx)).text).toBe('No notes mention "salary".');
    const elsewhere = { ...ctx, roomId: '!other:anycompany.corp' };
    expect((await recallTool.run({ query: 'layoffs' }, elsewhere)).text).toBe('No notes mention "layoffs".');
    expect((await recallTool.run({}, elsewhere)).text).toBe('No notes yet.');
    expect((await recallTool.run({ query: 'salary' }, { ...ctx, roomId: '!dm:anycompany.corp' })).text).toContain('"My salary is 190k"');
  });
});
