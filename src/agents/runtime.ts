import type { Person } from '../org/types.ts';
import type { Usage } from '../providers/types.ts';
import type { TaskAnswer, TaskOp } from '../tasks/protocol.ts';

/**
 * The conversation a message belongs to: the human message that started it (agents' messages carry this along),
 * so an agent that asked a colleague can report back to whoever asked it in the first place.
 */
export interface ConversationRef { rootEventId: string; rootRoomId: string; rootSender: string; hop: number }

/** One message handed to an agent, with what it needs to know of where it came from. */
export interface AgentTurnInput {
  agent: Person;
  roomId: string;
  isDirect: boolean;
  sender: { id: string; name: string; human: boolean };
  text: string;
  eventId: string;
  conversation?: ConversationRef;
  /** Whom the host posts this turn's answer to, when not the sender (a colleague's answer is reported back). */
  answersTo?: string;
}

/** What agents can do in the world through their tools; the shard implements it over the appservice. */
export interface AgentServices {
  /**
   * Posts as `from` with a proper mention of `to` (so the router routes it): in `roomId` when given and both are in
   * it, otherwise in their direct chat (created on first use). Carries the conversation along.
   */
  messageColleague(from: string, to: string, text: string, opts: { roomId?: string; conversation?: ConversationRef }): Promise<{ roomId: string; eventId: string }>;
  /**
   * Posts as `from` to a human of the org: in the conversation's root room as a reply to its root event when the
   * human started it or is a member there (unless `direct` for someone who did not ask), otherwise in their direct
   * chat. Bounded per human and day; a refusal says why. `turnEventId` and `nth` name the message, so a re-run of
   * the turn never posts it twice.
   */
  messageHuman?(from: string, to: string, text: string, opts: HumanMessageOptions): Promise<{ roomId: string; eventId: string } | { refused: string }>;
  /** The tasks tool's requests, answered by the router's task store (src/tasks) for `agentId`. */
  tasks?(agentId: string, request: TaskOp, conversation: ConversationRef): Promise<TaskAnswer>;
}

export interface HumanMessageOptions { conversation: ConversationRef; direct: boolean; turnEventId: string; nth: number }

export interface ToolActivity { tool: string; ok: boolean; summary: string }

export interface AgentTurnResult {
  /** What to post in the room; null when the agent decided to stay silent. */
  reply: string | null;
  toolActivity: ToolActivity[];
  usage: Usage;
  provider: string;
  model: string;
}

/**
 * What a shard needs from an agent implementation. The scripted/simple runtime and the OpenClaw runtime both fit
 * behind it, so the shard (queues, Matrix, persistence) does not change with the brain.
 */
export interface AgentRuntime {
  readonly kind: string;
  turn(input: AgentTurnInput, signal?: AbortSignal): Promise<AgentTurnResult>;
  /** Releases an idle agent's in-memory state; its directory keeps everything needed to resume. */
  hibernate(agentId: string): Promise<void>;
  close(): Promise<void>;
}
