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

  it('describes what is wrong with an event shape', () => {
    expect(eventShapeProblem(msg('$1'))).toBeNull();
    expect(eventShapeProblem({ ...msg('$1'), sender: 5 })).toBe('missing or non-string "sender"');
  });
});
