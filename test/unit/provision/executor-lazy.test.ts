import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrgDirectory } from '../../../src/org/directory.ts';
import { loadOrg } from '../../../src/org/load.ts';
import { executePlan } from '../../../src/provision/executor.ts';
import type { HomeserverOps } from '../../../src/provision/homeserver-ops.ts';
import { planOrg } from '../../../src/provision/plan.ts';
import { progressReporter } from '../../../src/provision/progress.ts';
import { ProvisionStore } from '../../../src/provision/store.ts';

const DOMAIN = 'anycompany.corp';
const BOT = `@fleet-bot:${DOMAIN}`;
const org = loadOrg({ domain: DOMAIN, ceo: { name: 'Morgan Blake' }, file: join(import.meta.dirname, '..', '..', 'fixtures', 'org-small.yaml') });

/** A homeserver that records every call and always succeeds. */
function fakeOps() {
  const calls: string[] = [];
  let rooms = 0;
  const ops = {
    register: async (l: string) => { calls.push(`register ${l}`); },
    setDisplayName: async () => {}, setTitle: async () => {}, supportsProfileFields: async () => true,
    resolveAlias: async () => undefined,
    createRoom: async (body: { room_alias_name: string }) => `!${body.room_alias_name}:x${++rooms}`,
    putState: async () => {},
    join: async (roomId: string, userId: string) => { calls.push(`join ${roomId.split(':')[0]} ${userId}`); },
    invite: async (roomId: string, userId: string) => { calls.push(`invite ${roomId.split(':')[0]} ${userId}`); },
    leave: async (roomId: string, userId: string) => { calls.push(`leave ${roomId.split(':')[0]} ${userId}`); },
    kick: async () => {},
  };
  return { ops: ops as unknown as HomeserverOps, calls };
}

let dir: string;
let store: ProvisionStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'provision-lazy-'));
  store = new ProvisionStore(join(dir, 'provision.sqlite'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (ops: HomeserverOps, eagerJoinMaxMembers: number, o = org) => executePlan({
  plan: planOrg(o, { botUserId: BOT, eagerJoinMaxMembers }), ops, store, dataDir: dir,
  progress: progressReporter('none'), concurrency: 4, perRoomConcurrency: 1,
});

describe('lazy rooms in the executor', () => {
  it('records lazy members without a homeserver request, and still invites the humans', async () => {
    const { ops, calls } = fakeOps();
    const r = await run(ops, 10);
    const agentsInAll = org.agents().length;
    expect(r.failed).toBe(0);
    expect(r.created.lazyMembers).toBeGreaterThanOrEqual(agentsInAll);
    expect(calls.filter((c) => c.startsWith('join !all-employees'))).toEqual([]);
    expect(calls.filter((c) => c.startsWith('invite !all-employees'))).toHaveLength(1); // the CEO
    expect(store.memberships().get(`all-employees\u0000${org.agents()[0]!.matrixId}`)?.membership).toBe('lazy');
  });

  it('leaves agents joined when a room turns lazy, and a re-run changes nothing', async () => {
    const eager = fakeOps();
    await run(eager.ops, 1000);
    expect(eager.calls.filter((c) => c.startsWith('join !all-employees'))).toHaveLength(org.agents().length);
    const lazy = fakeOps();
    const r = await run(lazy.ops, 10);
    expect(r.failed).toBe(0);
    expect(lazy.calls.filter((c) => c.startsWith('leave') || c.startsWith('join'))).toEqual([]);
    expect(r.created.lazyMembers).toBe(0);
  });

  it('a departure leaves its lazy rooms too (an agent may have joined one by answering there)', async () => {
    await run(fakeOps().ops, 10);
    const gone = org.agents().find((p) => p.level === 'IC')!;
    const rest = org.all().filter((p) => p.matrixId !== gone.matrixId)
      .map((p) => ({ ...p, directReports: p.directReports.filter((id) => id !== gone.matrixId) }));
    const without = new OrgDirectory(rest, DOMAIN);
    const after = fakeOps();
    const r = await run(after.ops, 10, without);
    expect(after.calls).toContain(`leave !all-employees ${gone.matrixId}`);
    expect(r.removed.deactivated).toBe(1);
  });
});
