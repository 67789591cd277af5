/** What a shard asks the router about tasks, for one of its agents (POST TASKS_PATH with the shard's own token). */
import { z } from 'zod';
import { TASK_KINDS, TASK_PRIORITIES, TASK_STATUSES, type Task, type TaskEvent } from './model.ts';

export const TASKS_PATH = '/_fleet/v1/tasks';
/** Requests are a few fields of text; anything larger is not a tool call. */
export const MAX_TASK_REQUEST_BYTES = 16 * 1024;

const id = z.number().int().min(1).max(999_999_999);
const who = z.string().min(1).max(255);

export const taskOpSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('create'), kind: z.enum(TASK_KINDS).optional(), title: z.string().min(1).max(400),
    description: z.string().max(8000).optional(), parent: id.optional(), assignee: who.optional(),
    priority: z.enum(TASK_PRIORITIES).optional(), due: z.string().max(20).optional(), requestKey: z.string().max(200).optional() }),
  z.strictObject({ op: z.literal('get'), id }),
  z.strictObject({ op: z.literal('list'), scope: z.union([z.enum(['mine', 'team', 'created', 'all']), z.strictObject({ assignee: who })]),
    statuses: z.array(z.enum(TASK_STATUSES)).max(6).optional(), open: z.boolean().optional(), text: z.string().max(200).optional() }),
  z.strictObject({ op: z.literal('status'), id, status: z.enum(TASK_STATUSES), reason: z.string().max(1000).optional(), note: z.string().max(4000).optional() }),
  z.strictObject({ op: z.literal('take'), id }),
  z.strictObject({ op: z.literal('assign'), id, assignee: who.nullable() }),
  z.strictObject({ op: z.literal('comment'), id, text: z.string().min(1).max(4000) }),
]);
export type TaskOp = z.infer<typeof taskOpSchema>;

// Matrix ids are at most 255 bytes (same shapes as shard/conversation.ts).
const conversationSchema = z.strictObject({
  rootEventId: z.string().max(255).regex(/^\$\S+$/), rootRoomId: z.string().max(255).regex(/^![^\s:]+(:\S+)?$/),
  rootSender: z.string().max(255).regex(/^@[^\s:]+:\S+$/), hop: z.number().int().min(0).max(1000),
});

export const taskRequestSchema = z.strictObject({
  shardId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  agentId: z.string().max(255),
  conversation: conversationSchema.optional(),
  request: taskOpSchema,
});
export type TaskRequest = z.infer<typeof taskRequestSchema>;

export type TaskAnswer =
  | { ok: true; task?: Task; tasks?: Task[]; children?: Task[]; history?: TaskEvent[] }
  | { ok: false; error: string };
