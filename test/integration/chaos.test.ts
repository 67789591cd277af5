import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalShardDriver } from '../../src/shard/drivers/local.ts';
import { CEO, startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { Human } from '../helpers/human.ts';
import { cuttableLink, type CuttableLink } from '../helpers/tcp-link.ts';
import { repliesTo, sleep, turnStarts, until } from '../helpers/wait.ts';

/**
 * Exactly-once under faults, proven by counting model calls per (agent, event) — the homeserver's transaction cache
 * would hide a duplicate post, never a duplicate model call — and replies per event.
 */

let markers = 0;
/** Asks, waits, counts: the scenario's bookkeeping. */
class Ledger {
  readonly asked: Array<{ agentId: string; marker: string; eventId: string }> = [];
  private readonly dms = new Map<string, string>();
  private readonly fleet: () => TestFleet;
  private readonly ceo: () => Human;
  constructor(fleet: () => TestFleet, ceo: () => Human) {
    this.fleet = fleet;
    this.ceo = ceo;
  }

  async dm(agentId: string): Promise<string> {
    let room = this.dms.get(agentId);
    if (!room) {
      room = await this.ceo().openDm(agentId);
      this.dms.set(agentId, room);
      await until(`${agentId} joined`, async () => (await this.ceo().joinedMembers(room!)).includes(agentId), 30_000);
    }
    return room;
  }

  async ask(agentId: string): Promise<string> {
    const marker = `Q${++markers}-${Date.now().toString(36)}`;
    const eventId = await this.ceo().say(await this.dm(agentId), `Who do you report to? (${marker})`);
    this.asked.push({ agentId, marker, eventId });
    return marker;
  }

  /** Model calls that started a turn for this (agent, event): the last message is the user's, naming the marker. */
  modelCalls(agentId: string, marker: string): number {
    return turnStarts(this.fleet().model, agentId, marker);
  }

  turnStarted(marker: string): boolean {
    const a = this.asked.find((x) => x.marker === marker)!;
    return this.modelCalls(a.agentId, marker) > 0;
  }

  async allAnsweredOnce(timeoutMs = 60_000): Promise<void> {
    for (const a of this.asked) await this.ceo().waitFor((m) => m.sender === a.agentId && repliesTo(a.eventId)(m), timeoutMs);
    await sleep(1500); // a duplicate would come right behind
    for (const a of this.asked) {
      expect({ marker: a.marker, modelCalls: this.modelCalls(a.agentId, a.marker) }).toEqual({ marker: a.marker, modelCalls: 1 });
      expect({ marker: a.marker, replies: this.ceo().seen.filter(repliesTo(a.eventId)).length }).toEqual({ marker: a.marker, replies: 1 });
    }
  }
}

describe('exactly once under faults', () => {
  let fleet: TestFleet;
  let ceo: Human;
  let ledger: Ledger;
  let link: CuttableLink | undefined;
  let driver: LocalShardDriver | undefined;

  const shardOf = (agentId: string) => fleet.router.registry.current().shardFor(agentId);
  const freshAgentOn = (shard: string, skip = 0) => fleet.org.agents().filter((a) => shardOf(a.matrixId) === shard && !ledger.asked.some((x) => x.agentId === a.matrixId)
    && ![...usedAgents].includes(a.matrixId))[skip]!.matrixId;
  const usedAgents = new Set<string>();
  const pick = (shard: string) => {
    const id = freshAgentOn(shard);
    usedAgents.add(id);
    return id;
  };

  async function startFleet(opts: Parameters<typeof startTestFleet>[0]): Promise<void> {
    fleet = await startTestFleet(opts);
    await fleet.hs.registerUser(CEO.localpart, CEO.password);
    ceo = await Human.login(fleet.hs.url, CEO.localpart, CEO.password);
    ledger = new Ledger(() => fleet, () => ceo);
  }
  async function stopFleet(): Promise<void> {
    ceo?.stop();
    await driver?.stopAll();
    driver = undefined;
    await fleet?.close();
    await link?.close();
    link = undefined;
  }
  async function processShards(count: number): Promise<LocalShardDriver> {
    const d = new LocalShardDriver({ cliPath: join(import.meta.dirname, '../../src/cli/main.ts'), basePort: 0, env: fleet.shardProcessEnv(), restart: false });
    await d.scale(count);
    await until(`${count} shards heartbeat`, () => fleet.router.registry.current().shardIds.length === count);
    return d;
  }

  describe('router restart with 3 shards and queued work', () => {
    beforeAll(() => startFleet({ shards: 3, modelLatencyMs: 700 }));
    afterAll(stopFleet);

    it('each queued event is answered once, with one model call, across the restart', async () => {
      const agents = ['shard-0', 'shard-1', 'shard-2'].map(pick);
      for (const a of agents) await ledger.dm(a);
      const first = await ledger.ask(agents[0]!);
      for (const a of agents) for (let i = 0; i < 3; i++) await ledger.ask(a);
      await until('a turn is under way', () => ledger.turnStarted(first), 20_000);
      await fleet.restartRouter(1500);
      for (let i = 0; i < 2; i++) for (const a of agents) await ledger.ask(a); // arrives while routing resumes
      await ledger.allAnsweredOnce(90_000);
    });
  });

  describe('a shard paused 10 s (SIGSTOP) and resumed', () => {
    beforeAll(async () => {
      await startFleet({ shards: 0, modelLatencyMs: 1000 });
      driver = await processShards(3);
    });
    afterAll(stopFleet);

    it('its turn in flight is not paid for twice, its queued work runs once somewhere', async () => {
      const agent = pick('shard-1');
      await ledger.dm(agent);
      const inFlight = await ledger.ask(agent);
      await ledger.ask(agent);
      await ledger.ask(agent);
      await until('the turn is under way', () => ledger.turnStarted(inFlight), 20_000);
      driver!.child('shard-1')!.kill('SIGSTOP');
      const pausedAt = Date.now();
      await until('the paused shard leaves placement', () => !fleet.router.registry.current().shardIds.includes('shard-1'), 15_000);
      await ledger.ask(agent); // routed to the agent's new shard while the old one is paused
      await sleep(10_000 - (Date.now() - pausedAt));
      driver!.child('shard-1')!.kill('SIGCONT');
      await ledger.allAnsweredOnce(90_000);
    });
  });

  describe('graceful scale-down mid-turn', () => {
    beforeAll(async () => {
      await startFleet({ shards: 0, modelLatencyMs: 1500 });
      driver = await processShards(3);
    });
    afterAll(stopFleet);

    it('the stopping shard finishes its turn and hands its queue on: one model call and one reply each', async () => {
      const agent = pick('shard-2');
      await ledger.dm(agent);
      const inFlight = await ledger.ask(agent);
      await ledger.ask(agent);
      await ledger.ask(agent);
      await until('the turn is under way', () => ledger.turnStarted(inFlight), 20_000);
      await driver!.scale(2);
      expect(fleet.router.registry.current().shardIds).not.toContain('shard-2');
      await ledger.ask(agent);
      await ledger.allAnsweredOnce(60_000);
    });
  });

  describe('homeserver unreachable for 60 s mid-turn', () => {
    beforeAll(async () => {
      link = await cuttableLink(process.env.FLEET_TEST_HS_URL ?? (await import('../helpers/homeserver.ts')).testHomeserver().url);
      await startFleet({ shards: 1, modelLatencyMs: 1000, shardHomeserverUrl: link.url });
    });
    afterAll(stopFleet);

    it('the paid reply is posted when the homeserver is back: one model call, one reply', async () => {
      const agent = pick('shard-0');
      await ledger.dm(agent);
      const marker = await ledger.ask(agent);
      await until('the turn is under way', () => ledger.turnStarted(marker), 20_000);
      await link!.cut();
      await sleep(60_000);
      expect(ledger.modelCalls(agent, marker)).toBe(1);
      await link!.restore();
      await ledger.allAnsweredOnce(90_000);
    }, 240_000);
  });
});
