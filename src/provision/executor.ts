import PQueue from 'p-queue';
import { componentLogger } from '../log.ts';
import { archiveAgentDir } from './archive.ts';
import type { HomeserverOps } from './homeserver-ops.ts';
import { ALL_EMPLOYEES, type DesiredMembership, type DesiredRoom, type DesiredUser, type ProvisionPlan } from './plan.ts';
import type { ProgressReporter } from './progress.ts';
import { createRoomBody, desiredStateEvents } from './room-state.ts';
import { contentHash, membershipKey, stateKey, type ProvisionStore } from './store.ts';

const log = componentLogger('provision');
const SYNAPSE_AS_MEMBERSHIP_SLOTS = 10;

export interface ProvisionCounts {
  /** Users registered (new hires included). */
  users: number;
  /** Display name and title writes. */
  profiles: number;
  rooms: number;
  spaces: number;
  /** State events written after creation: topics, power levels, space links. */
  stateEvents: number;
  joins: number;
  invites: number;
  /** Agents recorded as belonging to a lazily joined room (no homeserver request). */
  lazyMembers: number;
}

export interface RemovedCounts {
  leaves: number;
  kicks: number;
  /** Departed employees marked deactivated in the store. */
  deactivated: number;
  /** Departed agents whose directory was moved to the archive. */
  archived: number;
}

export interface ExecuteResult {
  created: ProvisionCounts;
  removed: RemovedCounts;
  /** Desired users, rooms, state events and memberships that were already in place. */
  unchanged: number;
  /** Steps that failed after retries; a re-run picks them up. */
  failed: number;
  roomIds: Map<string, string>;
}

export interface ExecuteOptions {
  plan: ProvisionPlan;
  ops: HomeserverOps;
  store: ProvisionStore;
  dataDir: string;
  progress: ProgressReporter;
  /** Homeserver requests in flight at once. */
  concurrency: number;
  /** Membership requests in flight per room (Synapse serialises membership changes per room anyway). */
  perRoomConcurrency: number;
  now?: () => Date;
}

/** Applies the difference between the plan and what the store says was done, recording each step as it succeeds. */
export async function executePlan(opts: ExecuteOptions): Promise<ExecuteResult> {
  const { plan, ops, store, progress } = opts;
  const queue = new PQueue({ concurrency: opts.concurrency });
  // Synapse lets one appservice change at most 10 memberships at once and queues the rest inside; more in flight
  // only ties up connections.
  const memberQueue = new PQueue({ concurrency: Math.min(opts.concurrency, SYNAPSE_AS_MEMBERSHIP_SLOTS) });
  const created: ProvisionCounts = { users: 0, profiles: 0, rooms: 0, spaces: 0, stateEvents: 0, joins: 0, invites: 0, lazyMembers: 0 };
  const removed: RemovedCounts = { leaves: 0, kicks: 0, deactivated: 0, archived: 0 };
  let unchanged = 0;
  let failed = 0;

  /** Runs one step through the shared queue; a failure is logged and counted, and the caller skips its dependants. */
  const step = async (name: string, what: Record<string, unknown>, fn: () => Promise<void>, priority = 0, on = queue): Promise<boolean> => {
    try {
      await on.add(fn, { priority });
      progress.tick(name);
      return true;
    } catch (err) {
      failed++;
      progress.tick(name);
      log.warn({ step: name, ...what, err: (err as Error).message }, 'provisioning step failed; a re-run retries it');
      return false;
    }
  };

  // --- Work lists: the diff between the plan and the store ----------------------------------------------------
  const recordedUsers = store.users();
  const userWork: DesiredUser[] = [];
  for (const u of plan.users) {
    const rec = recordedUsers.get(u.userId);
    if (rec && rec.registered && rec.deactivatedAt === null && rec.displayName === u.displayName && rec.title === u.title) {
      if (rec.live !== u.live) store.setLive(u.userId, u.live);
      unchanged++;
    } else userWork.push(u);
  }
  const wanted = new Set(plan.users.map((u) => u.userId));
  const departures = [...recordedUsers.values()].filter((r) => r.deactivatedAt === null && !wanted.has(r.userId) && r.userId !== plan.botUserId);

  const roomIds = new Map([...store.rooms()].map(([alias, r]) => [alias, r.roomId]));
  const roomsToCreate = plan.rooms.filter((r) => !roomIds.has(r.alias));
  unchanged += plan.rooms.length - roomsToCreate.length;

  const recordedMembers = store.memberships();
  const desiredMembers = new Map(plan.memberships.map((m) => [membershipKey(m.alias, m.userId), m]));
  const toAdd: DesiredMembership[] = [];
  const lazyToRecord: DesiredMembership[] = [];
  for (const [key, m] of desiredMembers) {
    const rec = recordedMembers.get(key);
    // An agent joined already (an eager room that grew past the limit, or a lazy join) stays: no leave, no event.
    if (rec && (rec.membership === m.membership || rec.membership === 'join')) unchanged++;
    else if (m.membership === 'lazy') lazyToRecord.push(m);
    else toAdd.push(m);
  }
  // Lazy memberships cost the homeserver nothing now: recorded so a departure or move later leaves the room too.
  store.recordMemberships(lazyToRecord);
  created.lazyMembers += lazyToRecord.length;
  const toRemove = [...recordedMembers.entries()].filter(([key]) => !desiredMembers.has(key)).map(([, m]) => m);

  const profileSteps = userWork.length * 3;
  progress.addTotal(profileSteps + roomsToCreate.length + toAdd.length + toRemove.length);

  // --- Users: register, then the name before any join so join events carry it; the title beside the joins ----
  // (a custom profile field is in no member event, so nothing waits for it).
  let titlesSupported: Promise<boolean> | undefined;
  const userReady = new Map<string, Promise<boolean>>();
  const titles: Array<Promise<unknown>> = [];
  for (const u of userWork) {
    const named = (async () => {
      const rec = recordedUsers.get(u.userId);
      const needsRegister = !rec?.registered || rec.deactivatedAt !== null;
      if (needsRegister) {
        if (!await step('register', { user: u.userId }, async () => { await ops.register(u.localpart); store.markRegistered(u.userId, u.live); })) return false;
        if (!rec?.registered) created.users++;
      } else progress.tick('register');
      if (rec?.displayName !== u.displayName || needsRegister) {
        if (!await step('profile', { user: u.userId }, async () => { await ops.setDisplayName(u.userId, u.displayName); store.markDisplayName(u.userId, u.displayName); })) return false;
        created.profiles++;
      } else progress.tick('profile');
      return true;
    })();
    userReady.set(u.userId, named);
    titles.push(named.then(async (ok) => {
      const rec = recordedUsers.get(u.userId);
      const needsRegister = !rec?.registered || rec.deactivatedAt !== null;
      if (!ok) return;
      if (rec?.title !== u.title || needsRegister) {
        titlesSupported ??= ops.supportsProfileFields().then((yes) => {
          if (!yes) log.info('homeserver has no custom profile fields: titles are only in the directory and room topics');
          return yes;
        });
        const supported = await titlesSupported;
        await step('title', { user: u.userId }, async () => {
          if (supported) await ops.setTitle(u.userId, u.title);
          store.markTitle(u.userId, u.title);
        });
        if (supported) created.profiles++;
      } else progress.tick('title');
    }));
  }
  const isReady = (userId: string): Promise<boolean> => userReady.get(userId) ?? Promise.resolve(true);

  // --- Rooms: parents first (creation waves by depth) so children name their space in their initial state ----
  // Room work jumps the queue: every join waits for its room.
  const ROOM_PRIORITY = 10_000_000;
  const created$ = new Map<string, Promise<void>>();
  const depths = [...new Set(roomsToCreate.map((r) => r.depth))].sort((a, b) => a - b);
  let wave: Promise<unknown> = Promise.resolve();
  for (const depth of depths) {
    const after = wave;
    const rooms = roomsToCreate.filter((r) => r.depth === depth);
    for (const room of rooms) created$.set(room.alias, after.then(() => createRoom(room)));
    wave = Promise.all(rooms.map((r) => created$.get(r.alias)));
  }
  const roomsReady = wave.then(() => reconcileState());
  const roomCreated = (alias: string): Promise<void> => created$.get(alias) ?? Promise.resolve();

  async function createRoom(room: DesiredRoom): Promise<void> {
    const state = desiredStateEvents(room, plan, roomIds);
    await step('room', { alias: room.alias }, async () => {
      let roomId = await ops.createRoom(createRoomBody(room, state));
      let initial = state;
      if (!roomId) {
        // Taken alias: an earlier run created it but died before recording, or the store was lost. Adopt the room
        // and let the state pass rewrite everything we own in it.
        roomId = await ops.resolveAlias(room.alias, plan.domain);
        if (!roomId) throw new Error(`#${room.alias} is in use but does not resolve`);
        initial = [];
        log.info({ alias: room.alias, roomId }, 'adopted an existing room');
      } else if (room.kind === 'space') created.spaces++;
      else created.rooms++;
      store.recordRoom(room.alias, roomId, room.kind, initial);
      roomIds.set(room.alias, roomId);
    }, ROOM_PRIORITY);
  }

  async function reconcileState(): Promise<void> {
    const hashes = store.stateHashes();
    const writes: Array<Promise<boolean>> = [];
    for (const room of plan.rooms) {
      const roomId = roomIds.get(room.alias);
      if (!roomId) continue;
      for (const s of desiredStateEvents(room, plan, roomIds)) {
        if (hashes.get(stateKey(room.alias, s.type, s.stateKey)) === contentHash(s.content)) {
          unchanged++;
          continue;
        }
        progress.addTotal(1);
        writes.push(step('state', { alias: room.alias, type: s.type }, async () => {
          await ops.putState(roomId, s);
          store.recordState(room.alias, s.type, s.stateKey, s.content);
          created.stateEvents++;
        }, ROOM_PRIORITY));
      }
    }
    await Promise.all(writes);
  }

  // --- Memberships: bounded per room, biggest rooms first (a room's joins are serialised by the homeserver) ---
  const roomQueues = new Map<string, PQueue>();
  const roomQueue = (alias: string): PQueue => {
    let q = roomQueues.get(alias);
    if (!q) roomQueues.set(alias, (q = new PQueue({ concurrency: opts.perRoomConcurrency })));
    return q;
  };
  const roomSize = new Map<string, number>();
  for (const m of toAdd) roomSize.set(m.alias, (roomSize.get(m.alias) ?? 0) + 1);
  const priorityOf = (alias: string): number => (alias === ALL_EMPLOYEES ? 1_000_000 : roomSize.get(alias) ?? 0);

  const additions = toAdd.map(async (m) => {
    const ok = await isReady(m.userId);
    await roomCreated(m.alias);
    const roomId = roomIds.get(m.alias);
    if (!ok || !roomId) {
      failed++;
      progress.tick(m.membership);
      return;
    }
    await roomQueue(m.alias).add(() => step(m.membership, { alias: m.alias, user: m.userId }, async () => {
      if (m.membership === 'join') await ops.join(roomId, m.userId);
      else await ops.invite(roomId, m.userId);
      store.recordMembership(m.alias, m.userId, m.membership);
      if (m.membership === 'join') created.joins++;
      else created.invites++;
    }, priorityOf(m.alias), memberQueue));
  });

  const leftAll = new Map<string, Promise<boolean>[]>();
  const removals = toRemove.map((m) => {
    const done = (async () => {
      const roomId = roomIds.get(m.alias);
      if (!roomId) {
        store.forgetMembership(m.alias, m.userId);
        progress.tick('leave');
        return true;
      }
      // Only humans are ever invited; the fleet never acts for them, so the bot removes them.
      const human = m.membership === 'invite' || plan.humans.has(m.userId);
      return roomQueue(m.alias).add(() => step(human ? 'kick' : 'leave', { alias: m.alias, user: m.userId }, async () => {
        if (human) await ops.kick(roomId, m.userId, 'no longer in this role in the org directory');
        else await ops.leave(roomId, m.userId);
        store.forgetMembership(m.alias, m.userId);
        if (human) removed.kicks++;
        else removed.leaves++;
      }, 0, memberQueue));
    })();
    leftAll.set(m.userId, [...(leftAll.get(m.userId) ?? []), done]);
    return done;
  });

  const departed = departures.map(async (d) => {
    const results = await Promise.all(leftAll.get(d.userId) ?? []);
    if (results.some((ok) => !ok)) return; // still in some room: try again next run
    store.markDeactivated(d.userId, (opts.now?.() ?? new Date()).getTime());
    removed.deactivated++;
    const localpart = d.userId.slice(1, d.userId.indexOf(':'));
    const archived = archiveAgentDir(opts.dataDir, localpart, opts.now?.());
    if (archived) removed.archived++;
    log.info({ user: d.userId, archived }, 'employee departed: left the fleet rooms and deactivated');
  });

  await Promise.all([roomsReady, ...userReady.values(), ...titles, ...additions, ...removals, ...departed]);
  return { created, removed, unchanged, failed, roomIds };
}
