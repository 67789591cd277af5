import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, startInProcessFleet, until, type InProcessFleet } from './in-process-fleet.ts';

/** One sample's value from Prometheus text, e.g. value(text, 'fleet_router_claims_total{result="granted"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('/metrics on the router and the shard', () => {
  let fleet: InProcessFleet;
  beforeAll(async () => { fleet = await startInProcessFleet(); }, 30_000);
  afterAll(async () => { await fleet?.close(); });

  const scrape = async (url: string, token?: string) => {
    const res = await fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  it('refuses anonymous callers and the wrong credential on both', async () => {
    expect((await scrape(fleet.routerUrl)).status).toBe(403);
    expect((await scrape(fleet.routerUrl, fleet.shardToken)).status).toBe(403); // a shard is no operator
    expect((await scrape(fleet.shard.url)).status).toBe(403);
    expect((await scrape(fleet.shard.url, SECRETS.hsToken)).status).toBe(403);
  });

  it('counts a message through inbox, hand-over, claim, turn, model and finish', async () => {
    await until(async () => value((await scrape(fleet.routerUrl, SECRETS.fleetSecret)).text, 'fleet_router_shards') === 1);
    expect((await fleet.transaction('t1', [...fleet.joins(), fleet.dm(1)])).status).toBe(200);
    await until(() => fleet.hs.sent.length === 1);
    await until(async () => (value((await scrape(fleet.routerUrl, SECRETS.fleetSecret)).text, 'fleet_router_deliveries_finished_total') ?? 0) >= 1);

    const router = await scrape(fleet.routerUrl, SECRETS.fleetSecret);
    expect(router.status).toBe(200);
    expect(router.type).toMatch(/^text\/plain;.*version=0\.0\.4/);
    expect(value(router.text, 'fleet_router_events_processed_total{outcome="routed"}')).toBeGreaterThanOrEqual(1);
    expect(value(router.text, 'fleet_router_deliveries_handed_total{from="new"}')).toBeGreaterThanOrEqual(1);
    expect(value(router.text, 'fleet_router_claims_total{result="granted"}')).toBeGreaterThanOrEqual(1);
    expect(value(router.text, 'fleet_router_inbox_pending')).toBe(0);
    expect(value(router.text, 'fleet_router_inbox_oldest_pending_age_seconds')).toBe(0);
    expect(router.text).toMatch(/^fleet_router_process_resident_memory_bytes \d+/m);

    const shard = await scrape(fleet.shard.url, fleet.shardToken);
    expect(shard.status).toBe(200);
    expect(value(shard.text, 'fleet_shard_turn_duration_seconds_count{outcome="replied"}')).toBeGreaterThanOrEqual(1);
    expect(shard.text).toMatch(/^fleet_shard_model_turns_total\{provider="[^"]+",model="scripted"\} [1-9]/m);
    expect(shard.text).toMatch(/^fleet_shard_model_tokens_total\{provider="[^"]+",direction="input"\} [1-9]/m);
    expect(value(shard.text, 'fleet_shard_deliveries_queued{shard="shard-0"}')).toBe(0);
    expect(shard.text).toMatch(/^fleet_shard_warm_agents\{shard="shard-0"\} \d+/m);
    expect(shard.text).toMatch(/^fleet_shard_provider_queued_calls\{shard="shard-0",provider="[^"]+"\} 0$/m);
    expect(shard.text).toMatch(/^fleet_shard_provider_paused\{shard="shard-0",provider="[^"]+"\} 0$/m);
  }, 20_000);

  it('names no agent and no credential in any sample', async () => {
    const router = await scrape(fleet.routerUrl, SECRETS.fleetSecret);
    expect(router.text).toMatch(/^# TYPE fleet_router_outbox_open gauge/m);
    expect(router.text).not.toContain(SECRETS.fleetSecret);
    expect(router.text).not.toContain(fleet.agent); // no agent ids in labels
    const shard = await scrape(fleet.shard.url, fleet.shardToken);
    expect(shard.text).not.toContain(fleet.agent);
    expect(shard.text).not.toContain(fleet.shardToken);
  });
});
