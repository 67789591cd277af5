import { describe, expect, it } from 'vitest';
import { editDistance, runAdminCommand } from '../../../src/admin/commands.ts';
import { adminContext, busyAgent, CEO, org } from './fixture.ts';

const admin = { id: CEO, role: 'admin' as const };
const reader = { id: '@reader:anycompany.corp', role: 'reader' as const };
const stranger = { id: '@mallory:elsewhere.org', role: 'stranger' as const };
const run = (input: string, ctx = adminContext(), caller: Parameters<typeof runAdminCommand>[2] = admin) => runAdminCommand(input, ctx, caller);

describe('admin commands', () => {
  it('lists the commands by category for help and an empty message, and explains one command', async () => {
    const help = await run('help');
    expect(help.ok).toBe(true);
    for (const c of ['Fleet', 'Agents', 'Inbox', 'Org', 'Audit', 'drain <shard>', 'pause <who|department|all>', 'logs <who> [n]']) expect(help.text).toContain(c);
    expect(help.html).toContain('<table>');
    expect((await run('   ')).text).toContain('Fleet');
    const one = await run('help pause');
    expect(one.text).toContain('Admins only');
    expect((await run('help status')).text).toContain('Any human of the org');
  });

  it('points unknown input to help with the closest command', async () => {
    const typo = await run('stauts');
    expect(typo.ok).toBe(false);
    expect(typo.text).toBe('Unknown command "stauts". Did you mean "status"? Send "help" for the list.');
    expect((await run('launch rockets')).text).toBe('Unknown command "launch". Send "help" for the list.');
    expect((await run('help paws')).text).toContain('Did you mean "pause"?');
    expect(editDistance('drian', 'drain')).toBe(2);
  });

  it('lets every human of the org read, only admins change anything, and strangers nothing; all of it audited', async () => {
    const ctx = adminContext();
    expect((await run('status', ctx, reader)).ok).toBe(true);
    const refused = await run(`pause ${busyAgent.localpart}`, ctx, reader);
    expect(refused.ok).toBe(false);
    expect(refused.text).toContain('only admins');
    expect(ctx.controls.paused()).toEqual([]);
    const scale = await run('scale 3', ctx, reader);
    expect(scale.ok).toBe(false);
    expect(ctx.scaled).toEqual([]);
    const s = await run('status', ctx, stranger);
    expect(s.ok).toBe(false);
    expect(s.text).toContain('Only the humans of the org');
    expect((await run('scale 3', ctx, admin)).ok).toBe(true);
    expect(ctx.scaled).toEqual([3]);
    const audit = ctx.audit.recent(10).map((e) => [e.sender, e.command, e.outcome]);
    expect(audit).toEqual([
      [CEO, 'scale 3', 'ok'], [stranger.id, 'status', 'refused'], [reader.id, 'scale 3', 'refused'],
      [reader.id, `pause ${busyAgent.localpart}`, 'refused'], [reader.id, 'status', 'ok'],
    ]);
    const listed = await run('audit 3', ctx);
    expect(listed.text).toContain('Last 3 admin command(s)');
    expect(listed.text).toContain('refused: Only the humans of the org');
  });

  it('reports status: shards, agents by state, inbox, last minute throughput and errors', async () => {
    const ctx = adminContext();
    ctx.controls.pause([busyAgent.matrixId], CEO);
    const out = (await run('status', ctx)).text;
    expect(out).toContain('Shards: 2 live; 2 deliveries in progress.');
    expect(out).toContain(`Agents: ${org.agents().length} live (1 warm, ${org.agents().length - 1} hibernated), 1 paused, 0 not staffed.`);
    expect(out).toContain('Inbox: 1 pending, 5 done, 0 parked.');
    expect(out).toContain('Last minute: 2 turn(s), 1 failed.');
  });

  it('shows shards, one agent, its logs without secrets, and usage by department', async () => {
    const ctx = adminContext();
    const shards = await run('shards', ctx);
    expect(shards.text).toMatch(/shard-1\s+live\s+400\s+0\s+1/);
    expect(shards.html).toContain('<td>shard-0</td>');
    const agent = (await run(`agent ${busyAgent.name}`, ctx)).text;
    expect(agent).toContain(`${busyAgent.name} (${busyAgent.matrixId})`);
    expect(agent).toContain('state: warm');
    expect(agent).toContain('turns: 2 · tokens in 200 / out 40 · cost ~$0.0024');
    const logs = (await run(`logs ${busyAgent.localpart} 5`, ctx)).text;
    expect(logs).toContain('Last 2 turn(s)');
    expect(logs).toContain('failed');
    expect(logs).not.toContain('sk-abc123');
    const usage = (await run(`usage ${busyAgent.department}`, ctx)).text;
    expect(usage).toContain(`Usage of ${busyAgent.department}`);
    expect(usage).toContain(busyAgent.localpart);
    expect((await run('usage', ctx)).text).toContain('Usage of the fleet: 2 turn(s)');
  });

  it('answers clearly when <who> is ambiguous or unknown', async () => {
    const first = busyAgent.name.split(' ')[0]!;
    const many = org.search(first, 10).length;
    const out = await run(`agent ${first}`);
    if (many > 1) expect(out.text).toContain('is ambiguous');
    expect((await run('agent Nobody Atall')).text).toContain('Nobody matches');
    expect((await run('where Morgan Blake')).text).toContain('is human');
  });

  it('pauses and resumes one agent, a department or everyone', async () => {
    const ctx = adminContext();
    expect((await run(`pause ${busyAgent.matrixId}`, ctx)).text).toContain('1 agent(s) newly paused');
    expect(ctx.controls.isPaused(busyAgent.matrixId)).toBe(true);
    const dept = org.department(busyAgent.department).filter((p) => !p.human).length;
    expect((await run(`pause ${busyAgent.department}`, ctx)).text).toContain(`${dept - 1} agent(s) newly paused (${dept} in all)`);
    expect((await run('resume all', ctx)).text).toContain(`Resumed ${dept} agent(s)`);
    expect(ctx.controls.paused()).toEqual([]);
    expect((await run('pause Morgan Blake', ctx)).text).toContain('is human');
  });

  it('staffs and unstaffs at once, changing the live set', async () => {
    const ctx = adminContext();
    expect((await run(`unstaff ${busyAgent.localpart}`, ctx)).text).toContain('is not staffed');
    expect(ctx.controls.live.has(busyAgent.matrixId)).toBe(false);
    expect((await run(`staff ${busyAgent.localpart}`, ctx)).text).toContain('from now on');
    expect(ctx.controls.live.has(busyAgent.matrixId)).toBe(true);
    expect((await run('staff all', ctx)).ok).toBe(false);
  });

  it('drains a live shard (never the last one taking agents) and undrains it', async () => {
    const ctx = adminContext();
    expect((await run('drain shard-7', ctx)).text).toContain('drain needs a live shard: shard-0, shard-1');
    const out = await run('drain shard-1', ctx);
    expect(out.text).toContain('Draining shard-1: its 400 agent(s) move');
    expect(out.text).toContain('stopped once its work is done');
    expect([...ctx.controls.draining()]).toEqual(['shard-1']);
    expect((await run('drain shard-0', ctx)).text).toContain('last shard taking agents');
    expect((await run('shards', ctx)).text).toMatch(/shard-1\s+draining/);
    expect((await run('undrain shard-1', ctx)).ok).toBe(true);
    expect([...ctx.controls.draining()]).toEqual([]);
  });

  it('broadcasts to #all-employees for admins only, and says when the room is missing', async () => {
    const posted: string[] = [];
    const ctx = adminContext({ broadcast: async (text) => { posted.push(text); return true; } });
    expect((await run('broadcast The office is closed on Friday.', ctx, reader)).ok).toBe(false);
    expect((await run('broadcast The office is closed on Friday.', ctx)).text).toBe('Posted to #all-employees.');
    expect(posted).toEqual(['The office is closed on Friday.']);
    expect((await run('broadcast hi', adminContext({ broadcast: async () => false }))).text).toContain('does not exist yet');
    expect((await run('broadcast', ctx)).ok).toBe(false);
  });

  it('pages long tables', async () => {
    const ctx = adminContext();
    const first = await run('who engineer', ctx);
    expect(first.text).toMatch(/page 1 of \d+ \(\d+ rows\); add --page 2 for the next/);
    const second = await run('who engineer --page 2', ctx);
    expect(second.text).toMatch(/page 2 of/);
    expect(second.text).not.toEqual(first.text);
  });

  it('replays parked events and refuses nonsense; scale checks its number', async () => {
    const ctx = adminContext({ replay: (t) => (t === 'all' ? 2 : t === 7 ? 1 : 0) });
    expect((await run('replay 7', ctx)).text).toBe('Queued 1 event(s) again.');
    expect((await run('replay 8', ctx)).text).toBe('#8 is not parked.');
    expect((await run('replay soon', ctx)).text).toContain('"all"');
    expect((await run('scale lots', ctx)).text).toContain('whole number');
    const { scale: _s, ...withoutScale } = adminContext();
    expect((await run('scale 2', withoutScale)).text).toContain('does not manage its shards');
    expect((await run('parked', ctx)).text).toBe('No parked events.');
  });
});
