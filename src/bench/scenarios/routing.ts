import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OrgDirectory } from '../../org/directory.ts';
import type { Person } from '../../org/types.ts';
import { addressedAgents, repliedEventId, type RoomEvent } from '../../router/mentions.ts';
import { Placement } from '../../protocol/placement.ts';
import { RoomDirectory } from '../../router/rooms.ts';
import { EventRouter } from '../../router/route-event.ts';
import { openRouterStore } from '../../router/store.ts';
import type { BenchResult } from '../types.ts';
import { tidy } from '../stats.ts';

const SHARDS = ['shard-0', 'shard-1', 'shard-2', 'shard-3'];

/** A small deterministic generator (mulberry32), so every run routes the same event mix. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Room { id: string; members: Person[]; direct: boolean }

/**
 * The traffic of a working day, by share of events: DMs (30%); group messages naming agents in m.mentions (20%), by
 * pill from a legacy HTML client (10%), by plain-text name from a legacy client (5%), or nobody (15%, half of them
 * from legacy clients, which costs a scan of every member's name); replies to an earlier message (10%); bots' notices
 * (10%, never answered).
 */
export function buildEventMix(org: OrgDirectory, count: number, seed = 7): { rooms: Room[]; events: RoomEvent[] } {
  const rand = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const agents = org.agents();
  const ceo = org.humans()[0] ?? agents[0]!;
  const rooms: Room[] = [];
  for (let i = 0; i < 300; i++) {
    const a = agents[(i * 7) % agents.length]!;
    const other = i % 2 ? ceo : agents[(i * 13 + 1) % agents.length]!;
    rooms.push({ id: `!dm${i}:${org.domain}`, members: [other, a], direct: true });
  }
  for (let i = 0; i < 60; i++) {
    const size = 4 + Math.floor(rand() * 36);
    const start = Math.floor(rand() * (agents.length - size));
    rooms.push({ id: `!group${i}:${org.domain}`, members: [ceo, ...agents.slice(start, start + size)], direct: false });
  }
  const dms = rooms.filter((r) => r.direct);
  const groups = rooms.filter((r) => !r.direct);
  const recent = new Map<string, { eventId: string; sender: string }>();
  const events: RoomEvent[] = [];
  for (let n = 0; n < count; n++) {
    const roll = rand();
    const room = roll < 0.3 ? pick(dms) : pick(groups);
    const sender = pick(room.members);
    const others = room.members.filter((m) => m !== sender);
    const target = pick(others.length ? others : room.members);
    const content: Record<string, unknown> = { msgtype: 'm.text', body: `Quick question about the quarterly numbers (${n})` };
    if (roll < 0.3) {
      if (rand() < 0.5) content['m.mentions'] = {};
    } else if (roll < 0.5) {
      content['m.mentions'] = { user_ids: [target.matrixId, ...(rand() < 0.3 ? [pick(others.length ? others : room.members).matrixId] : [])] };
      content.body = `${target.name}: ${content.body as string}`;
    } else if (roll < 0.6) {
      content.format = 'org.matrix.custom.html';
      content.body = `${target.name}: can you check the report?`;
      content.formatted_body = `<a href="https://matrix.to/#/${target.matrixId}">${target.name}</a>: can you check the report?`;
    } else if (roll < 0.65) {
      content.body = `hey ${target.firstName}, ${target.name} here is the draft`;
    } else if (roll < 0.8) {
      if (rand() < 0.5) content['m.mentions'] = {};
      content.body = `Morning all, the build is green again (${n})`;
    } else if (roll < 0.9) {
      const earlier = recent.get(room.id);
      if (earlier) {
        content['m.relates_to'] = { 'm.in_reply_to': { event_id: earlier.eventId } };
        content.body = `> <${earlier.sender}> earlier message\n\nAgreed, let's do that`;
        if (rand() < 0.5) content['m.mentions'] = { user_ids: [earlier.sender] };
      }
    } else {
      content.msgtype = 'm.notice';
      content.body = `CI: pipeline ${n} finished`;
    }
    const eventId = `$bench${n}`;
    events.push({ event_id: eventId, type: 'm.room.message', sender: sender.matrixId, room_id: room.id, origin_server_ts: 1_700_000_000_000 + n, content });
    recent.set(room.id, { eventId, sender: sender.matrixId });
  }
  return { rooms, events };
}

/** Time to push `events` through `route`, after the first `warmup` of them (JIT, caches) untimed. */
async function eventsPerSecond(events: readonly RoomEvent[], warmup: number, route: (e: RoomEvent) => Promise<number> | number): Promise<{ perSecond: number; deliveries: number }> {
  for (const event of events.slice(0, warmup)) await route(event);
  let deliveries = 0;
  const started = performance.now();
  for (const event of events.slice(warmup)) deliveries += await route(event);
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: (events.length - warmup) / seconds, deliveries };
}

/**
 * Events per second on one core, over the same event mix, in two ways:
 * - mention detection and placement alone (`routing.events_per_s`): members, DM flags and reply targets from memory,
 *   then addressedAgents and rendezvous placement of every addressed agent on one of four shards;
 * - the router's whole routing step (`routing.events_per_s_with_store`): EventRouter with its SQLite room directory
 *   (member lookups, remembering each sender for later replies) as a running router does it.
 */
export async function routingScenario(org: OrgDirectory, sizes: { events: number }): Promise<BenchResult[]> {
  const warmup = Math.max(100, Math.floor(sizes.events / 10));
  const mix = buildEventMix(org, warmup + sizes.events);
  const placement = new Placement(SHARDS);
  const place = (agentIds: readonly string[]): number => {
    for (const id of agentIds) if (placement.shardFor(id) === undefined) throw new Error(`no shard for ${id}`);
    return agentIds.length;
  };

  const roomsById = new Map(mix.rooms.map((r) => [r.id, { members: r.members.map((m) => m.matrixId), direct: r.direct }]));
  const senders = new Map<string, string>();
  const detection = await eventsPerSecond(mix.events, warmup, (event) => {
    const room = roomsById.get(event.room_id)!;
    senders.set(event.event_id, event.sender);
    const replyTo = repliedEventId(event);
    const addressed = addressedAgents(event, {
      isAgent: (id) => org.isAgent(id),
      displayNameOf: (id) => org.get(id)?.name,
      roomMembers: room.members,
      isDirectRoom: room.direct || room.members.length === 2,
      ...(replyTo ? { repliedToSender: senders.get(replyTo) } : {}),
    });
    return place(addressed.map((a) => a.agentId));
  });

  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-routing-'));
  const db = openRouterStore(join(dir, 'router.sqlite'));
  let withStore: { perSecond: number; deliveries: number };
  try {
    const rooms = new RoomDirectory(db);
    for (const room of mix.rooms) rooms.loadMembers(room.id, room.members.map((m) => m.matrixId));
    const router = new EventRouter({ org, rooms, fetchJoinedMembers: async () => undefined, fetchEventSender: async () => undefined });
    withStore = await eventsPerSecond(mix.events, warmup, async (event) => place((await router.route(event)).map((d) => d.agentId)));
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (withStore.deliveries !== detection.deliveries) throw new Error(`routing paths disagree: ${detection.deliveries} vs ${withStore.deliveries} deliveries`);
  const note = `${sizes.events} events, ${tidy(detection.deliveries / sizes.events)} deliveries per event`;
  return [
    { scenario: 'routing', metric: 'routing.events_per_s', value: tidy(detection.perSecond), unit: 'events/s', note: `mention detection + placement; ${note}` },
    { scenario: 'routing', metric: 'routing.events_per_s_with_store', value: tidy(withStore.perSecond), unit: 'events/s', note: 'EventRouter with its SQLite room directory' },
  ];
}
