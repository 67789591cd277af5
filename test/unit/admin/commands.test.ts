import { describe, expect, it } from 'vitest';
import { runAdminCommand, type AdminContext } from '../../../src/admin/commands.ts';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { generateOrg } from '../../../src/org/generator.ts';
import { placeAgent } from '../../../src/protocol/placement.ts';

const org = new OrgDirectory(generateOrg({ domain: 'anycompany.corp', ceo: { name: 'Morgan Blake' } }), 'anycompany.corp');
const shards = [{ shardId: 'shard-0', url: 'http://a', unfinished: 2 }, { shardId: 'shard-1', url: 'http://b', unfinished: 0 }];

const parkedRows = [
  { seq: 7, eventId: '$p7', roomId: '!room:x', sender: '@morgan.blake:anycompany.corp', attempts: 60, lastError: 'routing failed:\n boom', receivedAt: 0 },
  { seq: 9, eventId: '$p9', roomId: '!other:x', sender: '@someone:anycompany.corp', attempts: 3, lastError: null, receivedAt: 0 },
];

function ctx(over: Partial<AdminContext> = {}): AdminContext & { scaled: number[]; replayed: Array<number | 'all'> } {
  const scaled: number[] = [];
  const replayed: Array<number | 'all'> = [];
  return {
    org, shards: () => shards, inbox: () => ({ pending: 1, done: 5, failed: 0 }),
    parked: (limit) => parkedRows.slice(0, limit),
    replay: (target) => { replayed.push(target); return target === 'all' ? 2 : parkedRows.some((r) => r.seq === target) ? 1 : 0; },
    replayed,
    scale: async (n) => { scaled.push(n); },
    usage: async () => [{ agentId: '@x:anycompany.corp', model: 'm', inputTokens: 10, outputTokens: 5, costUsd: 0.0012 }],
    scaled, ...over,
  };
}

describe('admin commands', () => {
  it('lists the commands for help and for an empty message', async () => {
    expect(await runAdminCommand('help', ctx())).toContain('scale <n>');
    expect(await runAdminCommand('   ', ctx())).toContain('where <agent>');
  });

  it('reports shards with their unfinished work and the inbox', async () => {
    const out = await runAdminCommand('status', ctx());
    expect(out).toContain('2 live shard(s)');
    expect(out).toContain('shard-0  http://a  unfinished: 2');
    expect(out).toContain('inbox: 1 pending, 5 done, 0 failed');
  });

  it('says where an agent lives, by name or id, and that humans live nowhere', async () => {
    const vp = org.byLevel('VP')[0]!;
    const expected = placeAgent(vp.matrixId, ['shard-0', 'shard-1']);
    expect(await runAdminCommand(`where ${vp.name}`, ctx())).toContain(`is on ${expected}`);
    expect(await runAdminCommand(`!where ${vp.matrixId}`, ctx())).toContain(`is on ${expected}`);
    expect(await runAdminCommand('where Morgan Blake', ctx())).toContain('is human');
    expect(await runAdminCommand('where Nobody Atall', ctx())).toContain('Nobody matches');
  });

  it('scales only with a sane number and only when the router manages shards', async () => {
    const c = ctx();
    expect(await runAdminCommand('scale 4', c)).toContain('Scaling to 4');
    expect(c.scaled).toEqual([4]);
    expect(await runAdminCommand('scale lots', c)).toContain('whole number');
    expect(c.scaled).toEqual([4]);
    const { scale: _s, ...withoutScale } = ctx();
    expect(await runAdminCommand('scale 2', withoutScale)).toContain('does not manage its shards');
  });

  it('shows usage and searches people; unknown commands point to help', async () => {
    expect(await runAdminCommand('usage', ctx())).toContain('~$0.0012');
    expect(await runAdminCommand('who engineering vp', ctx())).toContain('VP of Engineering');
    expect(await runAdminCommand('launch rockets', ctx())).toContain('send "help"');
  });

  it('lists parked events with seq, room, sender, attempts and last error', async () => {
    const out = await runAdminCommand('parked', ctx());
    expect(out).toContain('#7  !room:x  from @morgan.blake:anycompany.corp  60 attempt(s)  routing failed: boom');
    expect(out).toContain('#9  !other:x  from @someone:anycompany.corp  3 attempt(s)  no error recorded');
    expect(await runAdminCommand('parked', ctx({ parked: () => [] }))).toBe('No parked events.');
    expect(await runAdminCommand('help', ctx())).toContain('replay <seq>|all');
  });

  it('replays one parked event or all of them, and refuses nonsense', async () => {
    const c = ctx();
    expect(await runAdminCommand('replay 7', c)).toBe('Queued 1 event(s) again.');
    expect(await runAdminCommand('replay #9', c)).toBe('Queued 1 event(s) again.');
    expect(await runAdminCommand('replay 8', c)).toBe('#8 is not parked.');
    expect(await runAdminCommand('replay all', c)).toBe('Queued 2 event(s) again.');
    expect(await runAdminCommand('replay soon', c)).toContain('"all"');
    expect(c.replayed).toEqual([7, 9, 8, 'all']);
  });
});
