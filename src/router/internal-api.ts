import type { Request, Response } from 'express';
import type { Logger } from '../log.ts';
import {
  bearerMatches, CLAIMS_PATH, COMPLETIONS_PATH, HEARTBEAT_PATH, ROUTER_STATUS_PATH, SCALE_PATH, shardToken,
  type ClaimRequest, type CompletionReport, type HeartbeatAnswer, type ShardAnnouncement,
} from '../protocol/wire.ts';
import { METRICS_PATH, metricsHandler, routerMetrics, routerRegistry } from '../metrics/metrics.ts';
import { ADMIN_COMMAND_PATH } from '../admin/commands.ts';
import { isTurnUsage } from '../budget/shard-usage.ts';
import type { TurnUsage } from '../budget/ledger.ts';
import type { Claims } from './claims.ts';
import type { Outbox } from './outbox.ts';
import type { ShardRegistry } from './shard-registry.ts';

export interface InternalApiOptions {
  registry: ShardRegistry;
  claims: Claims;
  outbox: Outbox;
  fleetSecret: string;
  log: Logger;
  /** Called when work ended or came back (wakes the hand-over). */
  onChange: () => void;
  /** Told about each finished invite (the agent has joined the room), before its row is gone. */
  onJoined?: (delivery: { agentId: string; roomId: string; inviteEventId: string }) => void;
  scaleShards?: (count: number) => Promise<void>;
  /** Budgets (budget/budgets.ts): a granted claim's extra fields (overBudget), and the spend a completion reports. */
  claimFlags?: (deliveryId: string) => { overBudget?: true };
  onUsage?: (shardId: string, usage: TurnUsage[]) => void;
  /** `./fleet admin <command>`: runs a #fleet-admin command as an admin (the caller holds the fleet secret). */
  runAdminCommand?: (command: string) => Promise<{ ok: boolean; text: string; html: string }>;
  /**
   * Hosts a shard may announce besides the address its heartbeat comes from (e.g. a load balancer name). The
   * router calls whatever url a shard announces, so an announcement is bound to the caller's own address.
   */
  extraShardHosts?: readonly string[];
}

type Express = { post: (p: string, h: (req: Request, res: Response) => void) => void; delete: (p: string, h: (req: Request, res: Response) => void) => void; get: (p: string, h: (req: Request, res: Response) => void) => void };

const isId = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.length <= 10_000 && v.every((x) => typeof x === 'string');

/**
 * The router's API for its shards. Each shard authenticates with its own token (protocol.ts shardToken), so what a
 * shard says is only ever about itself: it cannot announce, claim, finish or evict for another shard id.
 */
export function installInternalApi(app: Express, o: InternalApiOptions): void {
  const bad = (res: Response, error: string) => res.status(400).send({ errcode: 'M_BAD_JSON', error });
  /** The shard id the caller proved to be, or undefined after answering 403. */
  const shardCaller = (req: Request, res: Response, shardId: unknown): shardId is string => {
    if (isId(shardId) && bearerMatches(req.headers.authorization, shardToken(o.fleetSecret, shardId))) return true;
    res.status(403).send({ errcode: 'M_FORBIDDEN', error: 'wrong shard token for this shard id' });
    return false;
  };

  app.post(HEARTBEAT_PATH, (req, res) => {
    const a = req.body as Partial<ShardAnnouncement>;
    if (!shardCaller(req, res, a?.shardId)) return;
    if (typeof a.url !== 'string' || typeof a.startedAt !== 'number' || (a.claims !== undefined && !isStrings(a.claims))) {
      bad(res, 'expected {shardId, url, startedAt, claims?}');
      return;
    }
    const problem = urlProblem(a.url, req.socket.remoteAddress, o.extraShardHosts ?? []);
    if (problem) {
      o.log.warn({ shardId: a.shardId, url: a.url, from: req.socket.remoteAddress }, `shard announcement refused: ${problem}`);
      res.status(403).send({ errcode: 'M_FORBIDDEN', error: problem });
      return;
    }
    const outcome = o.registry.heartbeat({ shardId: a.shardId, url: a.url, startedAt: a.startedAt });
    if (outcome === 'superseded') {
      res.status(409).send({ errcode: 'FLEET_SUPERSEDED', error: 'a newer process runs this shard id; stop' });
      return;
    }
    if (a.claims?.length) o.claims.renew(a.shardId, a.startedAt, a.claims);
    const answer: HeartbeatAnswer = { ok: true, shards: o.registry.current().shardIds as string[], claimTtlMs: o.claims.ttlMs };
    res.send(answer);
  });

  app.post(CLAIMS_PATH, (req, res) => {
    const c = req.body as Partial<ClaimRequest>;
    if (!shardCaller(req, res, c?.shardId)) return;
    if (typeof c.deliveryId !== 'string' || typeof c.startedAt !== 'number') {
      bad(res, 'expected {shardId, startedAt, deliveryId}');
      return;
    }
    const claimed = o.claims.claim({ shardId: c.shardId, startedAt: c.startedAt, deliveryId: c.deliveryId });
    const answer = claimed.granted && o.claimFlags ? { ...claimed, ...o.claimFlags(c.deliveryId) } : claimed;
    routerMetrics.claims.inc({ result: answer.granted ? 'granted' : answer.reason });
    res.send(answer);
  });

  app.post(COMPLETIONS_PATH, (req, res) => {
    const r = req.body as Partial<CompletionReport>;
    if (!shardCaller(req, res, r?.shardId)) return;
    if (!isStrings(r.ids) || (r.released !== undefined && !isStrings(r.released))) {
      bad(res, 'expected {shardId, startedAt, ids: [string], released?: [string]}');
      return;
    }
    if (o.onJoined) {
      for (const d of o.outbox.payloads(r.ids.filter((id) => id.startsWith('invite:')))) {
        if (o.outbox.get(d.id)?.holder === r.shardId) o.onJoined({ agentId: d.agentId, roomId: d.roomId, inviteEventId: d.event.event_id });
      }
    }
    // Before the rows go, and only for work this shard holds: spend is keyed by (shard, delivery), so it counts once.
    if (Array.isArray(r.usage) && o.onUsage) {
      const held = (u: TurnUsage) => { const row = o.outbox.get(u.deliveryId); return row !== undefined && row.holder === r.shardId && row.agentId === u.agentId; };
      o.onUsage(r.shardId, r.usage.filter((u) => isTurnUsage(u) && held(u)));
    }
    routerMetrics.deliveriesFinished.inc(o.outbox.complete(r.shardId, r.ids));
    o.claims.release(r.shardId, r.ids);
    if (r.released?.length) {
      const replies = typeof r.replies === 'object' && r.replies !== null ? r.replies : {};
      o.outbox.giveBack(r.shardId, r.released, replies);
      routerMetrics.deliveriesGivenBack.inc(r.released.length);
      o.claims.release(r.shardId, r.released);
    }
    o.onChange();
    res.send({ ok: true });
  });

  app.delete(`${HEARTBEAT_PATH}/:shardId`, (req, res) => {
    const shardId = String(req.params.shardId);
    if (!shardCaller(req, res, shardId)) return;
    const startedAt = Number(req.query.startedAt);
    o.registry.remove(shardId, Number.isFinite(startedAt) ? startedAt : undefined);
    if (Number.isFinite(startedAt)) o.claims.releaseProcess(shardId, startedAt);
    o.onChange();
    res.send({ ok: true });
  });

  // Operators (./fleet scale, ./fleet where, the benchmarks) hold the fleet secret itself.
  const operator = (req: Request, res: Response): boolean => {
    if (bearerMatches(req.headers.authorization, o.fleetSecret)) return true;
    res.status(403).send({ errcode: 'M_FORBIDDEN', error: 'wrong fleet secret' });
    return false;
  };
  app.get(ROUTER_STATUS_PATH, (req, res) => {
    if (!operator(req, res)) return;
    const held = o.outbox.countsByHolder();
    res.send({ shards: o.registry.list().map((s) => ({ shardId: s.shardId, url: s.url, unfinished: held[s.shardId] ?? 0 })), waiting: held[''] ?? 0 });
  });
  app.post(SCALE_PATH, (req, res) => {
    if (!operator(req, res)) return;
    const count = (req.body as { count?: unknown })?.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
      bad(res, 'expected {count: 1..1000}');
      return;
    }
    if (!o.scaleShards) {
      res.status(501).send({ errcode: 'M_UNRECOGNIZED', error: 'this router does not manage its shards (shards.driver)' });
      return;
    }
    o.scaleShards(count).then(
      () => res.send({ ok: true, shards: o.registry.list().map((s) => s.shardId) }),
      (err: Error) => res.status(500).send({ errcode: 'M_UNKNOWN', error: err.message }),
    );
  });

  app.get(METRICS_PATH, metricsHandler(routerRegistry, () => o.fleetSecret));

  app.post(ADMIN_COMMAND_PATH, (req, res) => {
    if (!operator(req, res)) return;
    const command = (req.body as { command?: unknown })?.command;
    if (typeof command !== 'string' || command.length > 2000) {
      bad(res, 'expected {command: string}');
      return;
    }
    if (!o.runAdminCommand) {
      res.status(501).send({ errcode: 'M_UNRECOGNIZED', error: 'this router has no admin commands' });
      return;
    }
    o.runAdminCommand(command).then((answer) => res.send(answer), (err: Error) => res.status(500).send({ errcode: 'M_UNKNOWN', error: err.message }));
  });

  // Anonymous callers learn that the router is alive, nothing about the fleet.
  app.get('/healthz', (_req, res) => res.send({ ok: true }));
}

/** Why a shard may not announce `url` from `peer`, or undefined. */
export function urlProblem(url: string, peer: string | undefined, extraHosts: readonly string[]): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'url is not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'url must be http(s)';
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) return 'url must be a bare origin';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const from = (peer ?? '').replace(/^::ffff:/, '');
  if (host === from || extraHosts.includes(host)) return undefined;
  if (isLoopback(host) && isLoopback(from)) return undefined;
  return `url host ${host} is not the address the heartbeat came from (${from}); list it in shards.allowedHosts`;
}

const isLoopback = (h: string) => h === 'localhost' || h === '::1' || /^127\./.test(h);
