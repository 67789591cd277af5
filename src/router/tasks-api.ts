import type { Request, Response } from 'express';
import type { Logger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { bearerMatches, shardToken } from '../protocol/wire.ts';
import { MAX_TASK_REQUEST_BYTES, TASKS_PATH, taskRequestSchema } from '../tasks/protocol.ts';
import { runTaskOp } from '../tasks/run-op.ts';
import type { TaskService } from '../tasks/service.ts';

type Express = { post: (p: string, h: (req: Request, res: Response) => void) => void };

export interface TasksApiOptions {
  service: TaskService;
  org: OrgDirectory;
  fleetSecret: string;
  /** Whether the shard runs a turn of the agent right now (holds the router's claim on it). */
  actsFor(shardId: string, agentId: string): boolean;
  log: Logger;
}

/**
 * The tasks tool's way to the store: a shard, with its own token, asks for one of its agents. The router believes
 * the agent only while that shard holds the claim on it (a turn is running there), so a shard cannot act for
 * agents it does not host, and only agents of the org act at all.
 */
export function installTasksApi(app: Express, o: TasksApiOptions): void {
  app.post(TASKS_PATH, (req, res) => {
    if (JSON.stringify(req.body ?? null).length > MAX_TASK_REQUEST_BYTES) {
      res.status(413).send({ errcode: 'M_TOO_LARGE', error: 'task request too large' });
      return;
    }
    const parsed = taskRequestSchema.safeParse(req.body);
    const shardId = (req.body as { shardId?: unknown } | undefined)?.shardId;
    if (typeof shardId !== 'string' || !bearerMatches(req.headers.authorization, shardToken(o.fleetSecret, shardId))) {
      res.status(403).send({ errcode: 'M_FORBIDDEN', error: 'wrong shard token for this shard id' });
      return;
    }
    if (!parsed.success) {
      res.status(400).send({ errcode: 'M_BAD_JSON', error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 500) });
      return;
    }
    const { agentId, conversation, request } = parsed.data;
    if (!o.org.isAgent(agentId) || !o.actsFor(shardId, agentId)) {
      o.log.warn({ shardId, agentId }, 'task request refused: the shard runs no turn of this agent');
      res.status(403).send({ errcode: 'M_FORBIDDEN', error: 'this shard runs no turn of that agent' });
      return;
    }
    try {
      res.send(runTaskOp(o.service, { id: agentId, ...(conversation ? { conversation } : {}) }, request));
    } catch (err) {
      o.log.error({ err: (err as Error).message, op: request.op }, 'task request failed');
      res.status(500).send({ errcode: 'M_UNKNOWN', error: 'task request failed' });
    }
  });
}
