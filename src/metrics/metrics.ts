/**
 * Every Prometheus metric of the fleet (docs/metrics.md describes each). The router and the shards have a registry
 * each; `GET /metrics` serves it with a Bearer credential (the fleet secret on the router, the shard's token on a
 * shard). Counters are incremented where things happen; gauges are read at scrape time from the component's own
 * state (sources registered by the router or the shard), so a scrape always tells the truth of the database.
 *
 * No label carries an agent, room or user id: a fleet has ~1000 agents, and metrics are kept apart from content.
 */
import type { Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { bearerMatches } from '../protocol/wire.ts';

export const METRICS_PATH = '/metrics';

export const routerRegistry = new Registry();
export const shardRegistry = new Registry();
// Process figures (RSS, heap, event-loop lag, open fds) tell a leak apart from load; both processes get them.
collectDefaultMetrics({ register: routerRegistry, prefix: 'fleet_router_' });
collectDefaultMetrics({ register: shardRegistry, prefix: 'fleet_shard_' });

/** What the router's gauges read at scrape time. */
export interface RouterSources {
  inbox: () => { pending: number; failed: number };
  /** received_at (epoch ms) of the oldest pending event, undefined when none waits. */
  oldestPendingAt: () => number | undefined;
  /** Open deliveries by holder shard id; '' for those no shard holds (new or given back). */
  outboxByHolder: () => Record<string, number>;
  liveShards: () => number;
}

let routerSources: RouterSources | undefined;
/** The router in this process whose state the gauges show (the last started; tests restart routers in one process). */
export function trackRouter(sources: RouterSources | undefined): void {
  routerSources = sources;
}

const registers = (r: Registry) => ({ registers: [r] });

new Gauge({
  name: 'fleet_router_inbox_pending', help: 'Events stored and not yet routed', ...registers(routerRegistry),
  collect() { this.set(routerSources?.inbox().pending ?? 0); },
});
new Gauge({
  name: 'fleet_router_inbox_parked', help: 'Events that failed every attempt (see `parked` in #fleet-admin)', ...registers(routerRegistry),
  collect() { this.set(routerSources?.inbox().failed ?? 0); },
});
new Gauge({
  name: 'fleet_router_inbox_oldest_pending_age_seconds', help: 'Age of the oldest event waiting to be routed (0 when none)',
  ...registers(routerRegistry),
  collect() {
    const at = routerSources?.oldestPendingAt();
    this.set(at === undefined ? 0 : Math.max(0, (Date.now() - at) / 1000));
  },
});
new Gauge({
  name: 'fleet_router_outbox_open', help: 'Deliveries routed and not reported finished, by holding shard ("none": not handed yet or given back)',
  labelNames: ['holder'], ...registers(routerRegistry),
  collect() {
    this.reset();
    for (const [holder, n] of Object.entries(routerSources?.outboxByHolder() ?? {})) this.set({ holder: holder || 'none' }, n);
  },
});
new Gauge({
  name: 'fleet_router_shards', help: 'Shards alive (heartbeating) in the placement', ...registers(routerRegistry),
  collect() { this.set(routerSources?.liveShards() ?? 0); },
});

export const routerMetrics = {
  eventsProcessed: new Counter({
    name: 'fleet_router_events_processed_total', help: 'Inbox events by outcome: routed, retry (will be tried again), parked',
    labelNames: ['outcome'], ...registers(routerRegistry),
  }),
  deliveriesHanded: new Counter({
    name: 'fleet_router_deliveries_handed_total', help: 'Deliveries a shard accepted; from="new" first hand-over, "moved" re-handed from another holder',
    labelNames: ['from'], ...registers(routerRegistry),
  }),
  handoverFailures: new Counter({
    name: 'fleet_router_handover_failures_total', help: 'Hand-over requests to a shard that failed (retried with back-off)',
    labelNames: ['shard'], ...registers(routerRegistry),
  }),
  deliveriesFinished: new Counter({
    name: 'fleet_router_deliveries_finished_total', help: 'Deliveries their holder reported finished', ...registers(routerRegistry),
  }),
  deliveriesGivenBack: new Counter({
    name: 'fleet_router_deliveries_given_back_total', help: 'Deliveries a shard gave back (lost the agent, stopping)', ...registers(routerRegistry),
  }),
  caughtUp: new Counter({
    name: 'fleet_router_caught_up_events_total',
    help: 'Messages the homeserver did not push, read back from rooms: after="join" (sent before an agent joined), "outage" (after the homeserver link came back)',
    labelNames: ['after'], ...registers(routerRegistry),
  }),
  claims: new Counter({
    name: 'fleet_router_claims_total', help: 'Claim requests by answer: granted, or refused with done, moved, busy, superseded, unknown-shard',
    labelNames: ['result'], ...registers(routerRegistry),
  }),
};

/** The autoscaler's figures (router/autoscaler.ts; shards.autoscale), read at scrape time; unset when it is off. */
let autoscaleSource: (() => { current: number | undefined; recommended: number | undefined }) | undefined;
export function trackAutoscaler(source: typeof autoscaleSource): void {
  autoscaleSource = source;
}
new Gauge({
  name: 'fleet_router_autoscale_wanted_shards', help: 'Shard count the autoscaler (or an operator\'s scale) set last', ...registers(routerRegistry),
  collect() { this.reset(); const v = autoscaleSource?.().current; if (v !== undefined) this.set(v); },
});
new Gauge({
  name: 'fleet_router_autoscale_recommended_shards', help: 'Shard count the latest load sample alone asks for (before windows and cooldowns)',
  ...registers(routerRegistry),
  collect() { this.reset(); const v = autoscaleSource?.().recommended; if (v !== undefined) this.set(v); },
});
export const autoscaleDecisions = new Counter({
  name: 'fleet_router_autoscale_decisions_total', help: 'Shard count changes by the autoscaler: up, down; failed when the driver refused',
  labelNames: ['direction'], ...registers(routerRegistry),
});

/** What a shard's gauges read at scrape time, per shard id (tests run several shards in one process). */
export interface ShardSources {
  warmAgents: () => number;
  queuedDeliveries: () => number;
  /** The rate-limited providers' figures (cli/model.ts limitStats): {id, queued, waitedMsP50, waitedMsMax, pausedUntil?}. */
  providers?: () => unknown;
}

interface ProviderFigures { id: string; queued?: number; waitedMsP50?: number; waitedMsMax?: number; pausedUntil?: number }
const providerFigures = (s: ShardSources): ProviderFigures[] => {
  const list = s.providers?.();
  return Array.isArray(list) ? list.filter((p): p is ProviderFigures => typeof (p as ProviderFigures)?.id === 'string') : [];
};
/** One gauge per provider figure, over every tracked shard. */
const providerGauge = (name: string, help: string, pick: (p: ProviderFigures) => number | undefined) => new Gauge({
  name, help, labelNames: ['shard', 'provider'], ...registers(shardRegistry),
  collect() {
    this.reset();
    for (const [shard, s] of shardSources) {
      for (const p of providerFigures(s)) {
        const v = pick(p);
        if (v !== undefined) this.set({ shard, provider: p.id }, v);
      }
    }
  },
});
const shardSources = new Map<string, ShardSources>();
export function trackShard(shardId: string, sources: ShardSources | undefined): void {
  if (sources) shardSources.set(shardId, sources);
  else shardSources.delete(shardId);
}

new Gauge({
  name: 'fleet_shard_warm_agents', help: 'Agents with their session in memory (the rest are hibernated on disk)',
  labelNames: ['shard'], ...registers(shardRegistry),
  collect() {
    this.reset();
    for (const [shard, s] of shardSources) this.set({ shard }, s.warmAgents());
  },
});
new Gauge({
  name: 'fleet_shard_deliveries_queued', help: 'Deliveries accepted by the shard and not yet done',
  labelNames: ['shard'], ...registers(shardRegistry),
  collect() {
    this.reset();
    for (const [shard, s] of shardSources) this.set({ shard }, s.queuedDeliveries());
  },
});

providerGauge('fleet_shard_provider_queued_calls', 'Model calls waiting for the provider limiter (slots, rpm/tpm windows, a 429 pause)', (p) => p.queued);
providerGauge('fleet_shard_provider_wait_p50_seconds', 'Median wait of recent model calls in the provider limiter', (p) => p.waitedMsP50 === undefined ? undefined : p.waitedMsP50 / 1000);
providerGauge('fleet_shard_provider_wait_max_seconds', 'Longest wait of recent model calls in the provider limiter', (p) => p.waitedMsMax === undefined ? undefined : p.waitedMsMax / 1000);
providerGauge('fleet_shard_provider_paused', '1 while the provider is paused after a 429 (every agent\'s calls wait), else 0', (p) => (p.pausedUntil ?? 0) > Date.now() ? 1 : 0);

export const shardMetrics = {
  turnSeconds: new Histogram({
    name: 'fleet_shard_turn_duration_seconds', help: 'Agent turns (model calls with tools) from start to reply decided, by outcome',
    labelNames: ['outcome'], buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120], ...registers(shardRegistry),
  }),
  modelCalls: new Counter({
    name: 'fleet_shard_model_turns_total', help: 'Turns that got an answer from a model, by provider and model',
    labelNames: ['provider', 'model'], ...registers(shardRegistry),
  }),
  modelTokens: new Counter({
    name: 'fleet_shard_model_tokens_total', help: 'Tokens used, by provider and direction (input, output)',
    labelNames: ['provider', 'direction'], ...registers(shardRegistry),
  }),
  modelCostUsd: new Counter({
    name: 'fleet_shard_model_cost_usd_total', help: 'Estimated cost in USD (config price table), by provider',
    labelNames: ['provider'], ...registers(shardRegistry),
  }),
  providerThrottled: new Counter({
    name: 'fleet_shard_provider_throttled_total', help: 'Model calls the provider refused with 429 (throttling), by provider',
    labelNames: ['provider'], ...registers(shardRegistry),
  }),
  claimRefusals: new Counter({
    name: 'fleet_shard_claim_refusals_total', help: 'Claims the router refused or could not answer, by reason (busy, unknown-shard, unreachable)',
    labelNames: ['reason'], ...registers(shardRegistry),
  }),
};

/** Records one finished turn (agent-host). */
export function observeTurn(t: { outcome: string; seconds: number; provider?: string; model?: string;
  inputTokens?: number; outputTokens?: number; costUsd?: number }): void {
  shardMetrics.turnSeconds.observe({ outcome: t.outcome }, t.seconds);
  if (!t.provider) return;
  shardMetrics.modelCalls.inc({ provider: t.provider, model: t.model ?? '' });
  shardMetrics.modelTokens.inc({ provider: t.provider, direction: 'input' }, t.inputTokens ?? 0);
  shardMetrics.modelTokens.inc({ provider: t.provider, direction: 'output' }, t.outputTokens ?? 0);
  shardMetrics.modelCostUsd.inc({ provider: t.provider }, t.costUsd ?? 0);
}

/**
 * `GET /metrics` for an express app: Prometheus text for callers presenting `Bearer <credential>`, 403 otherwise.
 * Metrics name shard ids and show load and spend: not for anonymous callers (docs/metrics.md).
 */
export function metricsHandler(registry: Registry, credential: () => string): (req: Request, res: Response) => void {
  return (req, res) => {
    if (!bearerMatches(req.headers.authorization, credential())) {
      res.status(403).send({ errcode: 'M_FORBIDDEN', error: 'metrics need the Bearer credential (docs/metrics.md)' });
      return;
    }
    registry.metrics().then(
      (text) => res.set('content-type', registry.contentType).send(text),
      (err: Error) => res.status(500).send({ errcode: 'M_UNKNOWN', error: err.message }),
    );
  };
}
