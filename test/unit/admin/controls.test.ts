import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../../src/log.ts';
import { Claims } from '../../../src/router/claims.ts';
import { OperatorControls, recallUnstarted, watchDrains } from '../../../src/router/controls.ts';
import { Handover } from '../../../src/router/handover.ts';
import { Outbox } from '../../../src/router/outbox.ts';
import { ShardRegistry } from '../../../src/router/shard-registry.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { placeAgent } from '../../../src/protocol/placement.ts';
import type { Delivery } from '../../../src/protocol/wire.ts';

const delivery = (agentId: string, n: number): Delivery => ({
  id: `message:${agentId}:$e${n}`, kind: 'message', agentId, roomId: '!r:x', room: { isDirect: true },
  event: { event_id: `$e${n}`, room_id: '!r:x', sender: '@h:x', type: 'm.room.message', content: { body: `m${n}` } },
});
const agentOn = (shard: string, shards: string[]) => {
  for (let i = 0; ; i++) if (placeAgent(`@a${i}:x`, shards) === shard) return `@a${i}:x`;
};

const cleanup: Array<() => void> = [];
afterEach(() => { for (const f of cleanup.splice(0)) f(); });

function world(path = ':memory:') {
  const db = openRouterStore(path);
  const registry = new ShardRegistry(60_000);
  const outbox = new Outbox(db);
  const claims = new Claims(db, outbox, registry, 60_000);
  const controls = new OperatorControls({ db, agents: ['@a:x', '@b:x', '@c:x'], baseLive: new Set(['@a:x', '@b:x']), onDraining: (ids) => registry.exclude(ids) });
  const handover = new Handover({ outbox, claims, registry, tokenFor: () => 't', log: logger, startGraceMs: 0, isPaused: (id) => controls.isPaused(id) });
  cleanup.push(() => { registry.close(); void handover.close(); db.close(); });
  return { db, registry, outbox, controls, handover };
}

describe('operator controls', () => {
  it('keeps paused agents\' deliveries in the outbox, unhanded, and hands them again on resume', () => {
    const { registry, outbox, controls, handover } = world();
    registry.heartbeat({ shardId: 's0', url: 'http://127.0.0.1:1', startedAt: 1 });
    outbox.add(1, [delivery('@a:x', 1), delivery('@b:x', 2)]);
    expect(controls.pause(['@a:x'], '@ceo:x')).toEqual(['@a:x']);
    expect(controls.pause(['@a:x'], '@ceo:x')).toEqual([]);
    const planned = () => [...handover.plan().values()].flat().map((d) => d.agentId);
    expect(planned()).toEqual(['@b:x']);
    expect(outbox.open().map((d) => d.agentId)).toEqual(['@a:x', '@b:x']); // nothing lost
    expect(controls.resume(['@a:x', '@c:x'])).toEqual(['@a:x']);
    expect(planned()).toEqual(['@a:x', '@b:x']);
  });

  it('takes back a paused agent\'s work that its shard has not claimed yet; a running turn stays', () => {
    const db = openRouterStore(':memory:');
    const registry = new ShardRegistry(60_000);
    cleanup.push(() => { registry.close(); db.close(); });
    const outbox = new Outbox(db);
    const claims = new Claims(db, outbox, registry, 60_000);
    registry.heartbeat({ shardId: 's0', url: 'http://127.0.0.1:1', startedAt: 1 });
    const controls = new OperatorControls({ db, agents: ['@a:x'], onPaused: (paused) => { recallUnstarted(outbox, claims, paused); } });
    const [running, queued] = [delivery('@a:x', 1), delivery('@a:x', 2)];
    outbox.add(1, [running, queued]);
    outbox.assign([running.id, queued.id], 's0');
    expect(claims.claim({ shardId: 's0', startedAt: 1, deliveryId: running.id })).toMatchObject({ granted: true });
    controls.pause(['@a:x'], '@ceo:x');
    expect(outbox.open().map((d) => [d.id, d.holder])).toEqual([[running.id, 's0'], [queued.id, null]]);
    expect(claims.claim({ shardId: 's0', startedAt: 1, deliveryId: queued.id })).toEqual({ granted: false, reason: 'moved' });
  });

  it('changes the live set in place (the not-staffed filter holds the same Set) and persists it with pauses and drains', () => {
    const dir = mkdtempSync(join(tmpdir(), 'controls-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'router.sqlite');
    const first = world(path);
    const live = first.controls.live;
    expect(first.controls.setStaffed('@c:x', true, '@ceo:x')).toBe(true);
    expect(first.controls.setStaffed('@a:x', false, '@ceo:x')).toBe(true);
    expect(first.controls.setStaffed('@a:x', false, '@ceo:x')).toBe(false);
    expect([...live].sort()).toEqual(['@b:x', '@c:x']);
    first.controls.pause(['@b:x'], '@ceo:x');
    first.controls.drain('s1', '@ceo:x');
    first.db.close();
    const again = new OperatorControls({ db: openRouterStore(path), agents: ['@a:x', '@b:x', '@c:x'], baseLive: new Set(['@a:x', '@b:x']) });
    expect([...again.live].sort()).toEqual(['@b:x', '@c:x']);
    expect(again.paused()).toEqual(['@b:x']);
    expect([...again.draining()]).toEqual(['s1']);
  });

  it('rebase refills the same live Set for a reloaded org: departures out, hires in, staff/unstaff kept', () => {
    const { controls } = world();
    const live = controls.live;
    controls.setStaffed('@c:x', true, '@ceo:x');
    controls.setStaffed('@b:x', false, '@ceo:x');
    // @a left the org, @d was hired; config agents.live now names @a and @d.
    const next = ['@b:x', '@c:x', '@d:x'];
    expect([...controls.liveFor(next, new Set(['@a:x', '@d:x']))].sort()).toEqual(['@c:x', '@d:x']);
    controls.rebase(next, new Set(['@a:x', '@d:x']));
    expect(controls.live).toBe(live);
    expect([...live].sort()).toEqual(['@c:x', '@d:x']);
  });

  it('takes a draining shard out of placement so its agents move, and puts it back on undrain', () => {
    const { registry, outbox, controls, handover } = world();
    registry.heartbeat({ shardId: 's0', url: 'http://127.0.0.1:1', startedAt: 1 });
    registry.heartbeat({ shardId: 's1', url: 'http://127.0.0.1:2', startedAt: 1 });
    const agent = agentOn('s1', ['s0', 's1']);
    outbox.add(1, [delivery(agent, 1)]);
    outbox.assign([`message:${agent}:$e1`], 's1');
    expect(handover.plan().size).toBe(0); // where it belongs
    controls.drain('s1', '@ceo:x');
    expect(registry.current().shardIds).toEqual(['s0']);
    expect(registry.isLive('s1')).toBe(true); // still running its turns
    expect([...handover.plan().keys()]).toEqual(['s0']);
    controls.undrain('s1');
    expect(registry.current().shardIds).toEqual(['s0', 's1']);
  });

  it('stops a drained shard through the driver once its work is done, then forgets the drain when it has left', async () => {
    const { registry, controls } = world();
    registry.heartbeat({ shardId: 's1', url: 'http://127.0.0.1:2', startedAt: 1 });
    controls.drain('s1', '@ceo:x');
    let unfinished = 1;
    const stopped: string[] = [];
    const stop = watchDrains({ controls, log: logger, everyMs: 10, unfinished: () => unfinished, isLive: (id) => registry.isLive(id),
      stop: async (id) => { stopped.push(id); registry.remove(id); return true; } });
    cleanup.push(stop);
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toEqual([]); // still has a turn to finish
    unfinished = 0;
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toEqual(['s1']);
    expect([...controls.draining()]).toEqual([]);
  });
});
