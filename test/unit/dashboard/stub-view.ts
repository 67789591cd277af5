import type { AgentView, FleetView, ShardView, TurnRecord } from '../../../src/router/fleet-view.ts';
import type { OrgDirectory } from '../../../src/org/directory.ts';

/** A FleetView over plain arrays, standing in for the router in dashboard tests. */
export class StubFleetView implements FleetView {
  shardList: ShardView[] = [];
  agentList: AgentView[];
  turns: TurnRecord[] = [];
  inboxCounts = { pending: 0, done: 0, failed: 0 };

  constructor(org: OrgDirectory) {
    this.agentList = org.agents().map((p) => ({
      agentId: p.matrixId, name: p.name, title: p.title, department: p.department, ...(p.team ? { team: p.team } : {}),
      live: true, shardId: 'shard-0', warm: false, queued: 0, turns: 0, inputTokens: 0, outputTokens: 0, costUsd: 0,
    }));
  }

  async shards(): Promise<ShardView[]> {
    return this.shardList;
  }

  async agents(): Promise<AgentView[]> {
    return this.agentList;
  }

  async activity(opts: { sinceAt?: number; limit?: number } = {}): Promise<TurnRecord[]> {
    const later = this.turns.filter((t) => opts.sinceAt === undefined || t.at > opts.sinceAt);
    return opts.limit ? later.slice(-opts.limit) : later;
  }

  inbox() {
    return this.inboxCounts;
  }

  /** Records a finished turn the way a shard would report it, and updates the agent's totals. */
  addTurn(t: Partial<TurnRecord> & Pick<TurnRecord, 'agentId' | 'senderId' | 'at'>): TurnRecord {
    const turn: TurnRecord = {
      id: `shard-0:${this.turns.length + 1}`, shardId: 'shard-0', roomId: '!room:anycompany.corp', eventId: `$e${this.turns.length}`,
      latencyMs: 420, provider: 'openai', model: 'scripted', inputTokens: 812, outputTokens: 64, costUsd: 0.0031, outcome: 'replied', ...t,
    };
    this.turns.push(turn);
    const agent = this.agentList.find((a) => a.agentId === t.agentId);
    if (agent) {
      Object.assign(agent, { warm: true, turns: agent.turns + 1, lastTurnAt: turn.at, inputTokens: agent.inputTokens + turn.inputTokens,
        outputTokens: agent.outputTokens + turn.outputTokens, costUsd: agent.costUsd + turn.costUsd });
    }
    return turn;
  }
}
