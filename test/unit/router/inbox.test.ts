import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Inbox, eventShapeProblem } from '../../../src/router/inbox.ts';
import { openRouterStore } from '../../../src/router/store.ts';

const msg = (id: string) => ({ event_id: id, room_id: '!r:x', sender: '@a:x', type: 'm.room.message', content: { body: 'hi' } });

describe('router inbox', () => {
  it('stores events with their transaction and acknowledges a re-sent transaction without re-storing', () => {
    const inbox = new Inbox(openRouterStore(':memory:'));
    expect(inbox.accept('t1', [msg('$1'), msg('$2')])).toEqual({ duplicateTransaction: false, accepted: 2, rejected: 0 });
    expect(inbox.accept('t1', [msg('$1'), msg('$2')])).toEqual({ duplicateTransaction: true, accepted: 0, rejected: 0 });
    expect(inbox.pending().map((i) => i.event.event_id)).toEqual(['$1', '$2']);
  });

  it('accepts new events under a known transaction id: Synapse on SQLite restarts its numbering when it restarts', () => {
    const inbox = new Inbox(openRouterStore(':memory:'));
    inbox.accept('1', [msg('$before-restart')]);
    expect(inbox.accept('1', [msg('$after-restart')])).toEqual({ duplicateTransaction: true, accepted: 1, rejected: 0 });
    expect(inbox.pending().map((i) => i.event.event_id)).toEqual(['$before-restart', '$after-restart']);
  });

  it('does not queue an event twice when it arrives in a different transaction', () => {
    const inbox = new Inbox(openRouterStore(':memory:'));
    inbox.accept('t1', [msg('$1')]);
    expect(inbox.accept('t2', [msg('$1'), msg('$3')]).accepted).toBe(1);
    expect(inbox.pending().map((i) => i.event.event_id)).toEqual(['$1', '$3']);
  });

  it('keeps malformed events aside instead of dropping or processing them', () => {
    const db = openRouterStore(':memory:');
    const inbox = new Inbox(db);
    const r = inbox.accept('t1', [msg('$ok'), { type: 'm.room.message' }, 'garbage', null, { ...msg('$c'), content: [] }]);
    expect(r).toEqual({ duplicateTransaction: false, accepted: 1, rejected: 4 });
    const rejected = db.prepare('SELECT reason FROM rejected_events ORDER BY id').all() as Array<{ reason: string }>;
    expect(rejected.map((x) => x.reason)).toEqual([
      'missing or non-string "event_id"', 'not a JSON object', 'not a JSON object', '"content" is not an object',
    ]);
  });

  it('survives a restart: pending events are still there, done ones are not', () => {
    const path = `/tmp/inbox-test-${process.pid}-${Date.now()}.sqlite`;
    const first = new Inbox(openRouterStore(path));
    first.accept('t1', [msg('$1'), msg('$2')]);
    first.markDone(first.pending()[0]!.seq);
    const second = new Inbox(openRouterStore(path));
    expect(second.pending().map((i) => i.event.event_id)).toEqual(['$2']);
    expect(second.accept('t1', [msg('$1')]).duplicateTransaction).toBe(true);
  });

  it('is durable: a process killed right after accepting (no close, no checkpoint) loses nothing', () => {
    const path = `/tmp/inbox-kill-${process.pid}-${Date.now()}.sqlite`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
      const { Inbox } = await import(${JSON.stringify(new URL('../../../src/router/inbox.ts', import.meta.url).href)});
      const { openRouterStore } = await import(${JSON.stringify(new URL('../../../src/router/store.ts', import.meta.url).href)});
      const db = openRouterStore(${JSON.stringify(path)});
      new Inbox(db).accept('t1', [{ event_id: '$kept', type: 'm.room.message', room_id: '!r:x', sender: '@h:x', content: {} }]);
      process.stdout.write(String(db.pragma('synchronous', { simple: true })));
      process.kill(process.pid, 'SIGKILL');
    `], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).toBe('2'); // synchronous=FULL: each commit is fsynced before the 200
    expect(new Inbox(openRouterStore(path)).pending().map((i) => i.event.event_id)).toEqual(['$kept']);
  });

  it('parks an event as failed after the maximum attempts', () => {
    const inbox = new Inbox(openRouterStore(':memory:'));
    inbox.accept('t1', [msg('$1')]);
    const seq = inbox.pending()[0]!.seq;
    inbox.markFailed(seq, 'shard down', 2);
    expect(inbox.pending()).toHaveLength(1);
    inbox.markFailed(seq, 'shard down', 2);
    expect(inbox.pending()).toHaveLength(0);
    expect(inbox.counts().failed).toBe(1);
  });

  it('keeps no content of a routed event: only its id, so a re-sent event is still recognised', () => {
    const db = openRouterStore(':memory:');
    const inbox = new Inbox(db);
    inbox.accept('t1', [{ ...msg('$private'), content: { body: 'a human-only secret' } }]);
    inbox.markDone(inbox.pending()[0]!.seq);
    const rows = db.prepare('SELECT * FROM inbox').all();
    expect(JSON.stringify(rows)).not.toContain('secret');
    expect(JSON.stringify(rows)).not.toContain('!r:x');
    expect(inbox.accept('t2', [msg('$private')]).accepted).toBe(0);
  });

  it('prunes done events, transaction ids and rejected entries after the horizon, never pending or parked work', () => {
    const db = openRouterStore(':memory:');
    const inbox = new Inbox(db);
    const day = 24 * 3600_000;
    inbox.accept('old', [msg('$done'), msg('$pending'), msg('$parked'), 'garbage']);
    const [done, , parked] = inbox.pending();
    inbox.markDone(done!.seq);
    inbox.markFailed(parked!.seq, 'poison', 1);
    const t0 = Date.now();
    expect(inbox.prune(t0 + day, { horizonMs: 7 * day })).toBe(0);
    expect(inbox.prune(t0 + 8 * day, { horizonMs: 7 * day })).toBe(3); // the done event, the transaction, the rejected entry
    expect(inbox.seen('event', '$done')).toBe(false);
    expect(inbox.seen('transaction', 'old')).toBe(false);
    expect(inbox.pending().map((i) => i.event.event_id)).toEqual(['$pending']);
    expect(inbox.parked().map((p) => p.eventId)).toEqual(['$parked']);
  });

  it('lists parked events with their error and replays one or all of them', () => {
    const inbox = new Inbox(openRouterStore(':memory:'));
    inbox.accept('t1', [msg('$a'), msg('$b'), msg('$c')]);
    for (const item of inbox.pending()) inbox.markFailed(item.seq, `poison ${item.event.event_id}`, 1);
    const parked = inbox.parked(10);
    expect(parked).toMatchObject([
      { eventId: '$a', roomId: '!r:x', sender: '@a:x', attempts: 1, lastError: 'poison $a' },
      { eventId: '$b' }, { eventId: '$c' },
    ]);
    expect(inbox.parked(1)).toHaveLength(1);
    expect(inbox.replay(parked[1]!.seq)).toBe(1);
    expect(inbox.replay(parked[1]!.seq)).toBe(0); // no longer parked
    expect(inbox.pending()).toMatchObject([{ event: { event_id: '$b' }, attempts: 0 }]);
    expect(inbox.replay('all')).toBe(2);
    expect(inbox.pending().map((i) => i.event.event_id)).toEqual(['$a', '$b', '$c']);
    expect(inbox.counts()).toEqual({ pending: 3, done: 0, failed: 0 });
  });

  it('describes what is wrong with an event shape', () => {
    expect(eventShapeProblem(msg('$1'))).toBeNull();
    expect(eventShapeProblem({ ...msg('$1'), sender: 5 })).toBe('missing or non-string "sender"');
  });
});
