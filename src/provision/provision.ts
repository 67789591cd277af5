import { join } from 'node:path';
import { componentLogger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { LoadedRegistration } from '../matrix/registration.ts';
import { AppserviceClient } from './client.ts';
import { executePlan, type ProvisionCounts, type RemovedCounts } from './executor.ts';
import { HomeserverOps } from './homeserver-ops.ts';
import { ALL_EMPLOYEES, planOrg } from './plan.ts';
import { progressReporter, type ProgressMode, type ProvisionProgress } from './progress.ts';
import { ProvisionStore } from './store.ts';

const log = componentLogger('provision');

export interface ProvisionOptions {
  org: OrgDirectory;
  registration: LoadedRegistration;
  homeserverUrl: string;
  /** The store lives at `<dataDir>/provision.sqlite`; departed agents' directories move under `<dataDir>/archive`. */
  dataDir: string;
  /** Live agents (selectLiveAgents); default all. Recorded only: non-live employees still get users and rooms. */
  live?: ReadonlySet<string>;
  /** Human admins besides the CEO: power 100 everywhere, invited to #fleet-admin. */
  admins?: readonly string[];
  /** Homeserver requests in flight at once (default 16). */
  concurrency?: number;
  /** Membership changes in flight per room (default 1: Synapse serialises them per room). */
  perRoomConcurrency?: number;
  companyName?: string;
  /** Rooms with more agents than this are joined lazily (default 100; config provisioning.eagerJoinMaxMembers). */
  eagerJoinMaxMembers?: number;
  /** 'auto' (default): a bar when stdout is a terminal, periodic log lines otherwise. */
  progress?: ProgressMode;
  onProgress?: (p: ProvisionProgress) => void;
}

export interface ProvisionResult {
  created: ProvisionCounts;
  removed: RemovedCounts;
  unchanged: number;
  /** Steps that still failed after retries; non-zero means run again (it resumes). */
  failed: number;
  durationMs: number;
  /** Room id per alias localpart (all-employees, fleet-admin, …). */
  roomIds: Record<string, string>;
}

/**
 * Puts the org chart on the homeserver: users with names and titles, the company and department spaces, the
 * company, leadership and team rooms with power levels that mirror the hierarchy, and everyone's memberships.
 * Idempotent and resumable: only the difference from what `<dataDir>/provision.sqlite` records is applied.
 */
export async function provisionOrg(opts: ProvisionOptions): Promise<ProvisionResult> {
  const started = Date.now();
  const botUserId = `@${opts.registration.senderLocalpart}:${opts.org.domain}`;
  const plan = planOrg(opts.org, { botUserId, admins: opts.admins, live: opts.live, companyName: opts.companyName,
    ...(opts.eagerJoinMaxMembers !== undefined ? { eagerJoinMaxMembers: opts.eagerJoinMaxMembers } : {}) });
  const ops = new HomeserverOps(new AppserviceClient({ homeserverUrl: opts.homeserverUrl, asToken: opts.registration.asToken }), botUserId);
  const store = new ProvisionStore(join(opts.dataDir, 'provision.sqlite'));
  const progress = progressReporter(opts.progress ?? 'auto', opts.onProgress);
  try {
    await checkStoreMatchesHomeserver(store, ops, opts.org.domain);
    if (store.meta('bot') !== botUserId) {
      // Conduit does not create the sender_localpart user by itself; Synapse does, and answers M_USER_IN_USE.
      await ops.register(opts.registration.senderLocalpart);
      store.setMeta('bot', botUserId);
    }
    const result = await executePlan({
      plan, ops, store, dataDir: opts.dataDir, progress,
      concurrency: opts.concurrency ?? 16, perRoomConcurrency: opts.perRoomConcurrency ?? 1,
    });
    const out: ProvisionResult = {
      created: result.created, removed: result.removed, unchanged: result.unchanged, failed: result.failed,
      durationMs: Date.now() - started, roomIds: Object.fromEntries(result.roomIds),
    };
    const level = out.failed ? 'warn' : 'info';
    log[level]({ created: out.created, removed: out.removed, unchanged: out.unchanged, failed: out.failed, durationMs: out.durationMs }, 'provisioning finished');
    return out;
  } finally {
    progress.stop();
    store.close();
  }
}

/**
 * A store that outlived its homeserver (a wiped dev Synapse) would make every step look done. One alias lookup
 * tells: when #all-employees is gone or points elsewhere, the store is discarded and provisioning starts over.
 */
async function checkStoreMatchesHomeserver(store: ProvisionStore, ops: HomeserverOps, domain: string): Promise<void> {
  const recorded = store.rooms().get(ALL_EMPLOYEES)?.roomId;
  if (!recorded) return;
  const actual = await ops.resolveAlias(ALL_EMPLOYEES, domain);
  if (actual === recorded) return;
  log.warn({ recorded, actual: actual ?? null }, 'the homeserver does not have the rooms the provisioning store recorded; starting over');
  store.reset();
}
