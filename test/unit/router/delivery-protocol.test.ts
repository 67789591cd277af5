import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../../src/log.ts';
import { Claims } from '../../../src/router/claims.ts';
import { Handover } from '../../../src/router/handover.ts';
import { urlProblem } from '../../../src/router/internal-api.ts';
import { Outbox } from '../../../src/router/outbox.ts';
import { ShardRegistry } from '../../../src/router/shard-registry.ts';
import { openRouterStore } from '../../../src/router/store.ts';
import { placeAgent } from '../../../src/protocol/placement.ts';
import type { Delivery } from '../../../src/protocol/wire.ts';

const delivery = (agentId: string, n: number): Delivery => ({
  id: `message:${agentId}:$e${n}`, kind: 'message', agentId, roomId: '!r:x', room: { isDirect: true },
  event: { event_id: `$e${n}`, room_id: '!r:x', sender: '@h:x', type: 'm.room.message', content: { body: `m${n}` } },
});
/** An agent that rendezvous placement puts on `shard` among `shards`. */
const agentOn = (shard: string, shards: string[], skip = 0) => {
  for (let i = 0, found = 0; ; i++) if (placeAgent(`@a${i}:x`, shards) === shard && found++ === skip) return `@a${i}:x`;
};

const registries: ShardRegistry[] = [];
function world(path = ':memory:', ttlMs = 60_000) {
  const db = openRouterStore(path);
  const registry = new ShardRegistry(8000);
  registries.push(registry);
  const outbox = new Outbox(db);
  const claims = new Claims(db, outbox, registry, ttlMs);
  return { db, registry, outbox, claims };
}
afterEach(() => { for (const r of registries.splice(0)) r.close(); });

describe('claims: one agent, one shard process at a time', () => {
  it('grants a delivery only to the shard holding it, and keeps the agent busy elsewhere while the claim lives', () => {
    const { registry, outbox, claims } = world();
    registry.heartbeat({ shardId: 's0', url: 'http://127.0.0.1:1', startedAt: 1 });
    registry.heartbeat({ shardId: 's1', url: 'http://127.0.0.1:2', startedAt: 1 });
    const [a, b] = [delivery('@x:x', 1), delivery('@x:x', 2)];
    outbox.add(1, [a]);
    outbox.add(2, [b]);
    outbox.assign([a.id], 's0');
    outbox.assign([b.id], 's1');
    expect(claims.claim({ shardId: 's1', startedAt: 1, deliveryId: a.id })).toEqual({ granted: false, reason: 'moved' });
    expect(claims.claim({ shardId: 's0', startedAt: 1, deliveryId: a.id })).toMatchObject({ granted: true });
    // The agent is working on s0: s1 must wait with the agent's next event, even a paused s0's claim lives on.
    expect(claims.claim({ shardId: 's1', startedAt: 1, deliveryId: b.id })).toEqual({ granted: false, reason: 'busy' });
    expect(claims.claim({ shardId: 's1', startedAt: 1, deliveryId: b.id }, Date.now() + 59_000)).toEqual({ granted: false, reason: 'busy' });
    // Past the ttl with no renewal (the holder is gone for good) the agent is free again.
    expect(claims.claim({ shardId: 's1', startedAt: 1, deliveryId: b.id }, Date.now() + 61_000)).toMatchObject({ granted: true });
  });

  it('a newer process of a shard id voids the old one\'s claims and refuses the old process', () => {
    const { registry, outbox, claims } = world();
    registry.heartbeat({ shardId: 's0', url: 'http://127.0.0.1:1', startedAt: 1 });
    const d = delivery('@x:x', 1);
    outbox.add(1, [d]);
    outbox.assign([d.id], 's0');
    expect(claims.claim({ shardId: 's0', startedAt: 1, deliveryId: d.id })).toMatchObject({ granted: true });
    expect(claims.claimedDeliveries().has(d.id)).toBe(true);
    expect(registry.heartbeat({ shardId: 's0', url: 'http://127.0.0.1:1', startedAt: 2 })).toBe('restarted');
    expect(claims.claimedDeliveries().has(d.id)).toBe(false);
    expect(registry.heartbeat({ shardId: 's0', url: 'http://127.0.0.1:1', startedAt: 1 })).toBe('superseded');
    expect(claims.claim({ shardId: 's0', startedAt: 1, deliveryId: d.id })).toEqual({ granted: false, reason: 'superseded' });
    expect(claims.claim({ shardId: 's0', startedAt: 2, deliveryId: d.id })).toMatchObject({ granted: true });
  });

  it('only the holder can finish a delivery; a finished one is refused as done', () => {
    const { registry, outbox, claims } = world();
    registry.heartbeat({ shardId: 's0', url: 'http://127.0.0.1:1', startedAt: 1 });
    const d = delivery('@x:x', 1);
    outbox.add(1, [d]);
    outbox.assign([d.id], 's0');
    expect(outbox.complete('s1', [d.id])).toBe(0);
    expect(outbox.complete('s0', [d.id])).toBe(1);
    expect(claims.claim({ shardId: 's0', startedAt: 1, deliveryId: d.id })).toEqual({ granted: false, reason: 'done' });
  });

  it('work given back carries its paid reply to the next shard', () => {
    const { outbox } = world();
    const d = delivery('@x:x', 1);
    outbox.add(1, [d]);
    outbox.assign([d.id], 's0');
    outbox.giveBack('s0', [d.id], { [d.id]: 'paid' });
    expect(outbox.get(d.id)!.holder).toBeNull();
    expect(outbox.payloads([d.id])[0]!.reply).toBe('paid');
  });
});

describe('hand-over', () => {
  const servers: Server[] = [];
  afterEach(async () => { for (const s of servers.splice(0)) await new Promise((r) => s.close(r)); });
  /** A fake shard that accepts every delivery and remembers what it got. */
  async function fakeShard(): Promise<{ url: string; got: string[] }> {
    const got: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; }).on('end', () => {
        const ids = (JSON.parse(body) as { deliveries: Delivery[] }).deliveries.map((d) => d.id);
        got.push(...ids);
        res.end(JSON.stringify({ accepted: ids }));
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
  }

  it('after a router restart, the first shard to heartbeat is not handed the others\' unfinished work', async () => {
    const path = `/tmp/router-restart-${process.pid}-${Date.now()}.sqlite`;
    const shards = ['s0', 's1', 's2'];
    const before = world(path);
    const work = shards.map((s, i) => delivery(agentOn(s, shards), i));
    work.forEach((d, i) => before.outbox.add(i, [d]));
    work.forEach((d, i) => before.outbox.assign([d.id], shards[i]!));
    before.db.close();

    // The router restarts: its registry is empty, the outbox still says who holds what.
    const after = world(path);
    const s0 = await fakeShard();
    after.registry.heartbeat({ shardId: 's0', url: s0.url, startedAt: 1 });
    const handover = new Handover({ ...after, tokenFor: () => 't', log: logger, startGraceMs: 60_000 });
    expect(handover.plan().size).toBe(0); // within the grace nothing counts as orphaned
    await handover.close();
    // Past the grace, with only s0 alive, the others really are gone: their work goes to s0.
    const late = new Handover({ ...after, tokenFor: () => 't', log: logger, startGraceMs: 0 });
    expect([...late.plan().keys()]).toEqual(['s0']);
    expect(late.plan().get('s0')!.map((d) => d.id).sort()).toEqual([work[1]!.id, work[2]!.id].sort());
    await late.close();
    after.db.close();
  });

  it('leaves a claimed delivery with its (silent) holder, hands the agent\'s unclaimed work to its new shard', async () => {
    const { registry, outbox, claims, db } = world();
    const target = await fakeShard();
    registry.heartbeat({ shardId: 's0', url: 'http://127.0.0.1:9', startedAt: 1 });
    const agent = agentOn('s1', ['s1']);
    const [inFlight, queued] = [delivery(agent, 1), delivery(agent, 2)];
    outbox.add(1, [inFlight]);
    outbox.add(2, [queued]);
    outbox.assign([inFlight.id, queued.id], 's0');
    expect(claims.claim({ shardId: 's0', startedAt: 1, deliveryId: inFlight.id })).toMatchObject({ granted: true });
    registry.remove('s0'); // s0 went silent (paused), s1 is the agent's shard now
    registry.heartbeat({ shardId: 's1', url: target.url, startedAt: 1 });
    const handover = new Handover({ registry, outbox, claims, tokenFor: () => 't', log: logger, startGraceMs: 0 });
    handover.kick();
    await new Promise((r) => setTimeout(r, 200));
    await handover.close();
    expect(target.got).toEqual([queued.id]);
    expect(outbox.get(queued.id)!.holder).toBe('s1');
    expect(outbox.get(inFlight.id)!.holder).toBe('s0');
    db.close();
  });

  it('with no shard alive work waits in the outbox; nothing is dropped', () => {
    const { registry, outbox, claims } = world();
    outbox.add(1, [delivery('@x:x', 1)]);
    const handover = new Handover({ registry, outbox, claims, tokenFor: () => 't', log: logger, startGraceMs: 0 });
    expect(handover.plan().size).toBe(0);
    expect(outbox.open()).toHaveLength(1);
    void handover.close();
  });
});

describe('shard announcements', () => {
  it('bind the announced url to the address the heartbeat came from', () => {
    expect(urlProblem('http://127.0.0.1:9100', '127.0.0.1', [])).toBeUndefined();
    expect(urlProblem('http://10.0.1.5:9100', '::ffff:10.0.1.5', [])).toBeUndefined();
    expect(urlProblem('http://169.254.169.254', '10.0.1.5', [])).toMatch(/not the address/);
    expect(urlProblem('http://shard.internal:9100', '10.0.1.5', ['shard.internal'])).toBeUndefined();
    expect(urlProblem('http://127.0.0.1:9100/x?y', '127.0.0.1', [])).toMatch(/bare origin/);
    expect(urlProblem('file:///etc/passwd', '127.0.0.1', [])).toMatch(/http/);
  });
});
