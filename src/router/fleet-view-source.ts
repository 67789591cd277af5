import type { OrgDirectory } from '../org/directory.ts';
import { ACTIVITY_PATH, STATUS_PATH, type ShardStatus } from '../protocol/wire.ts';
import type { AgentView, FleetView, ShardView, TurnRecord } from './fleet-view.ts';
import type { Inbox } from './inbox.ts';
import type { Outbox } from './outbox.ts';
import type { ShardRegistry } from './shard-registry.ts';

export interface FleetViewSources {
  org: OrgDirectory;
  registry: ShardRegistry;
  outbox: Outbox;
  inbox: Inbox;
  tokenFor: (shardId: string) => string;
  live?: ReadonlySet<string>;
  timeoutMs?: number;
}

async function getJson<T>(url: string, token: string, timeoutMs: number): Promise<T | undefined> {
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

export const fetchShardStatus = (shardUrl: string, token: string, timeoutMs = 3000) =>
  getJson<ShardStatus>(new URL(STATUS_PATH, shardUrl).href, token, timeoutMs);

/** The FleetView over the router's registry, outbox and inbox, and each live shard's status API. */
export function createFleetView(s: FleetViewSources): FleetView {
  const timeoutMs = s.timeoutMs ?? 3000;
  const statuses = async () => new Map(await Promise.all(s.registry.list().map(async (shard) =>
    [shard.shardId, await fetchShardStatus(shard.url, s.tokenFor(shard.shardId), timeoutMs)] as const)));
  const isLive = (id: string) => !s.live || s.live.has(id);

  return {
    async shards(): Promise<ShardView[]> {
      const [status, held] = [await statuses(), s.outbox.countsByHolder()];
      const placement = s.registry.current();
      const placed = new Map<string, number>();
      for (const a of s.org.agents()) {
        if (!isLive(a.matrixId)) continue;
        const shard = placement.shardFor(a.matrixId);
        if (shard) placed.set(shard, (placed.get(shard) ?? 0) + 1);
      }
      return s.registry.list().map((e) => {
        const st = status.get(e.shardId);
        return {
          shardId: e.shardId, url: e.url, startedAt: e.startedAt, lastSeenAt: e.lastSeen, unfinished: held[e.shardId] ?? 0,
          placedAgents: placed.get(e.shardId) ?? 0, restarts: e.restarts, reachable: st !== undefined,
          ...(st ? { deliveries: st.deliveries } : {}),
        };
      });
    },
    async agents(): Promise<AgentView[]> {
      const status = await statuses();
      const byAgent = new Map<string, ShardStatus['agents'][number]>();
      for (const st of status.values()) for (const a of st?.agents ?? []) {
        const prev = byAgent.get(a.agentId);
        // An agent that moved has figures on two shards: add them up, keep the newer activity.
        byAgent.set(a.agentId, prev ? {
          ...a, queued: prev.queued + a.queued, warm: prev.warm || a.warm, turns: prev.turns + a.turns,
          inputTokens: prev.inputTokens + a.inputTokens, outputTokens: prev.outputTokens + a.outputTokens, costUsd: prev.costUsd + a.costUsd,
          ...(Math.max(prev.lastTurnAt ?? 0, a.lastTurnAt ?? 0) > 0 ? { lastTurnAt: Math.max(prev.lastTurnAt ?? 0, a.lastTurnAt ?? 0) } : {}),
        } : a);
      }
      const placement = s.registry.current();
      return s.org.agents().map((p) => {
        const live = isLive(p.matrixId);
        const st = byAgent.get(p.matrixId);
        const shardId = live ? placement.shardFor(p.matrixId) : undefined;
        return {
          agentId: p.matrixId, name: p.name, title: p.title, department: p.department, ...(p.team ? { team: p.team } : {}),
          live, ...(shardId ? { shardId } : {}), warm: st?.warm ?? false, queued: st?.queued ?? 0,
          ...(st?.lastTurnAt ? { lastTurnAt: st.lastTurnAt } : {}),
          turns: st?.turns ?? 0, inputTokens: st?.inputTokens ?? 0, outputTokens: st?.outputTokens ?? 0, costUsd: st?.costUsd ?? 0,
        };
      });
    },
    async activity(opts = {}): Promise<TurnRecord[]> {
      const limit = Math.min(opts.limit ?? 100, 1000);
      const q = `?limit=${limit}${opts.sinceAt ? `&sinceAt=${opts.sinceAt}` : ''}`;
      const lists = await Promise.all(s.registry.list().map(async (shard) =>
        (await getJson<{ turns: TurnRecord[] }>(new URL(`${ACTIVITY_PATH}${q}`, shard.url).href, s.tokenFor(shard.shardId), timeoutMs))?.turns ?? []));
      return lists.flat().sort((a, b) => a.at - b.at).slice(-limit);
    },
    inbox: () => s.inbox.counts(),
  };
}
