import type { ConversationRef } from '../agents/runtime.ts';
import { TASKS_PATH, type TaskAnswer, type TaskOp, type TaskRequest } from '../tasks/protocol.ts';

/**
 * The shard's way to the tasks store, which lives in the router (one writer for the fleet): one POST per tool call,
 * authenticated with this shard's own token, for the agent whose turn is running here.
 */
export class TasksClient {
  private readonly o: { routerUrl: string; shardId: string; token: string; timeoutMs?: number; fetch?: typeof fetch };

  constructor(opts: TasksClient['o']) {
    this.o = opts;
  }

  async request(agentId: string, request: TaskOp, conversation?: ConversationRef): Promise<TaskAnswer> {
    const body: TaskRequest = { shardId: this.o.shardId, agentId, request, ...(conversation ? { conversation } : {}) };
    const res = await (this.o.fetch ?? fetch)(new URL(TASKS_PATH, this.o.routerUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
    });
    const answer = await res.json().catch(() => undefined) as (TaskAnswer & { error?: string }) | undefined;
    if (res.ok && answer) return answer;
    // Refusals of the request itself (bad arguments, not this shard's agent) reach the model as the tool's error.
    throw new Error(`the task service answered ${res.status}${answer?.error ? `: ${answer.error}` : ''}`);
  }
}
