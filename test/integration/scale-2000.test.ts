import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynapseRoot } from '../../src/homeserver/chroot.ts';
import { LocalSynapse } from '../../src/homeserver/synapse.ts';
import { buildRegistration, toLoadedRegistration } from '../../src/matrix/registration.ts';
import { generateOrg } from '../../src/org/generator.ts';
import { OrgDirectory } from '../../src/org/directory.ts';
import { movedShare, placeAgent } from '../../src/protocol/placement.ts';
import { startScriptedModelServer, type ScriptedModelServer } from '../../src/providers/index.ts';
import { startRouter, type RunningRouter } from '../../src/router/router.ts';
import { LocalShardDriver } from '../../src/shard/drivers/local.ts';
import { CEO, shardEnv } from '../helpers/fleet.ts';
import { Human } from '../helpers/human.ts';
import { freePort } from '../helpers/ports.ts';
import { repliesTo, turnStarts, until } from '../helpers/wait.ts';

const SERVER_NAME = 'anycompany.corp';
const SIZE = 2000;
const WAIT_MS = 60_000;

/**
 * A 2,000-person org (org.size) over 4 shard processes, rescaled live to 6. It runs on a Synapse of its own whose
 * registration is the `all-but-humans` namespace (the complement of the CEO's localpart), as a large org gets it:
 * the shared test Synapse lists only the 1001-person org's agents. Nothing is provisioned: users are created on the
 * homeserver's user query when the CEO invites them (the lazy path), so the file stays within a few minutes.
 */
describe('a 2,000-person org across 4 shards with a live rescale', () => {
  const org = new OrgDirectory(generateOrg({ domain: SERVER_NAME, size: SIZE, ceo: CEO }), SERVER_NAME);
  let synapse: LocalSynapse;
  let router: RunningRouter;
  let model: ScriptedModelServer;
  let driver: LocalShardDriver;
  let ceo: Human;
  let dataDir: string;
  const dms = new Map<string, string>();

  const liveShards = () => router.registry.current().shardIds;
  const shardOf = (agentId: string) => router.registry.current().shardFor(agentId);
  async function ask(agentId: string, text: string): Promise<string> {
    let room = dms.get(agentId);
    if (!room) dms.set(agentId, (room = await ceo.openDm(agentId)));
    return ceo.say(room, text);
  }
  const answered = (agentId: string, eventId: string) => ceo.waitFor((m) => m.sender === agentId && repliesTo(eventId)(m), WAIT_MS);
  const answersTo = (eventId: string) => ceo.seen.filter(repliesTo(eventId)).length;

  beforeAll(async () => {
    expect(org.size).toBe(SIZE);
    const cacheDir = process.env.FLEET_CACHE_DIR ?? join(homedir(), '.cache', 'open-claw-fleet');
    const root = await ensureSynapseRoot({ cacheDir });
    dataDir = mkdtempSync(join(tmpdir(), 'fleet-scale-'));
    const [hsPort, routerPort] = [await freePort(), await freePort()];
    const routerUrl = `http://127.0.0.1:${routerPort}`;
    const raw = buildRegistration({
      id: 'open-claw-fleet-scale', url: routerUrl, domain: SERVER_NAME, senderLocalpart: 'fleet-bot',
      agents: org.agents().map((p) => p.localpart), humans: org.humans().map((p) => p.localpart), namespace: 'all-but-humans',
    });
    synapse = new LocalSynapse({ root, instance: `${process.env.FLEET_TEST_INSTANCE ?? 'vitest'}-scale`, port: hsPort, serverName: SERVER_NAME, appserviceRegistrationYaml: stringify(raw) });
    await synapse.wipe();
    await synapse.start();

    const registration = toLoadedRegistration(raw, 'scale test');
    const shardSecret = randomBytes(16).toString('hex');
    model = await startScriptedModelServer({ latencyMs: 300 });
    router = await startRouter({
      org, registration, homeserverUrl: synapse.url, shardSecret, dbPath: join(dataDir, 'router.sqlite'),
      host: '127.0.0.1', port: routerPort, deadShardAfterMs: 3000, heartbeatMs: 500,
    });
    driver = new LocalShardDriver({
      cliPath: join(import.meta.dirname, '../../src/cli/main.ts'), basePort: 0, restart: false,
      env: {
        ...shardEnv({ homeserverUrl: synapse.url, routerUrl, asToken: registration.asToken, appserviceId: registration.id, shardSecret, dataDir, modelUrl: model.url }),
        FLEET_ORG__SIZE: String(SIZE),
        FLEET_APPSERVICE__NAMESPACE: 'all-but-humans',
      },
    });
    await driver.scale(4);
    await until('4 shards heartbeat', () => liveShards().length === 4, WAIT_MS);
    await synapse.registerUser(CEO.localpart, CEO.password);
    ceo = await Human.login(synapse.url, CEO.localpart, CEO.password);
  });

  afterAll(async () => {
    ceo?.stop();
    await driver?.stopAll();
    await router?.close();
    await model?.close();
    await synapse?.wipe();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('agents on every shard answer, each message with one model call', async () => {
    // Two agents per shard from all over the org, the last hired (index > 1001) among them.
    const agents = org.agents();
    const picked = liveShards().flatMap((s) => [agents.find((a) => shardOf(a.matrixId) === s)!, agents.findLast((a) => shardOf(a.matrixId) === s)!]);
    expect(new Set(picked.map((a) => shardOf(a.matrixId))).size).toBe(4);
    const asked = await Promise.all(picked.map(async (a) => [a.matrixId, await ask(a.matrixId, `Who do you report to? [first ${a.localpart}]`)] as const));
    for (const [agentId, eventId] of asked) {
      const [reply] = await answered(agentId, eventId);
      expect(reply!.body).toContain(org.manager(agentId)!.name);
    }
    for (const a of picked) expect(turnStarts(model, a.matrixId, `[first ${a.localpart}]`), a.matrixId).toBe(1);
  });

  it('a live rescale 4 → 6 while messages are in flight: each answered exactly once, the moved share near the ideal 2/6', async () => {
    const ids = org.agents().map((a) => a.matrixId);
    const before = [...liveShards()];
    // Agents that will move and agents that stay, so messages cross the hand-over both ways.
    const after6 = ['shard-0', 'shard-1', 'shard-2', 'shard-3', 'shard-4', 'shard-5'];
    const movers = org.agents().filter((a) => placeAgent(a.matrixId, before) !== placeAgent(a.matrixId, after6)).slice(0, 6);
    const stayers = org.agents().filter((a) => placeAgent(a.matrixId, before) === placeAgent(a.matrixId, after6)).slice(-4);
    const sample = [...movers, ...stayers];
    // Open the rooms first (invites and joins), so the messages themselves are what is in flight during the rescale.
    for (const a of sample) if (!dms.has(a.matrixId)) dms.set(a.matrixId, await ceo.openDm(a.matrixId));

    const during = Promise.all(sample.map(async (a, i) => {
      await new Promise((r) => setTimeout(r, i * 150));
      return [a, await ask(a.matrixId, `During the rescale [during ${a.localpart}]`)] as const;
    }));
    const scaled = driver.scale(6);
    const sent = await during;
    await scaled;
    await until('6 shards heartbeat', () => liveShards().length === 6, WAIT_MS);
    const afterRound = await Promise.all(sample.map(async (a) => [a, await ask(a.matrixId, `After the rescale [after ${a.localpart}]`)] as const));

    for (const [a, e] of [...sent, ...afterRound]) await answered(a.matrixId, e);
    for (const [, e] of [...sent, ...afterRound]) expect(answersTo(e)).toBe(1);
    for (const a of sample) {
      expect(turnStarts(model, a.matrixId, `[during ${a.localpart}]`), a.matrixId).toBe(1);
      expect(turnStarts(model, a.matrixId, `[after ${a.localpart}]`), a.matrixId).toBe(1);
    }
    expect(movers.every((a) => ['shard-4', 'shard-5'].includes(shardOf(a.matrixId)!))).toBe(true);
    // Rendezvous moves to a new shard exactly the agents it wins: ideal share 2/6 for 4 → 6.
    expect(Math.abs(movedShare(ids, before, liveShards()) - 2 / 6)).toBeLessThan(0.03);
  });
});
