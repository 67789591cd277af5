import { componentLogger } from '../../log.ts';
import type { OrgDirectory } from '../../org/directory.ts';
import type { ModelProvider } from '../../providers/types.ts';
import type { AgentRuntime, AgentServices, AgentTurnInput, AgentTurnResult, ConversationRef, ToolActivity } from '../runtime.ts';
import { speakerLine } from '../speaker-line.ts';
import { ColleagueMessageBudget, DEFAULT_COLLEAGUE_MESSAGE_LIMITS, FLEET_TOOLS, type ColleagueMessageLimits } from '../tools/index.ts';
import { TurnAnswer } from '../tools/turn-answer.ts';
import type { AgentTool, ToolContext } from '../tools/types.ts';
import { AgentWorkspace } from '../workspace/workspace.ts';
import { AgentCoreEngine } from './agent-core-engine.ts';
import { cleanReply, NO_REPLY } from './clean-reply.ts';
import type { AgentLoopEngine, AgentLoopSession, LoopTool } from './engine.ts';
import { historyOf, systemPrompt, type PromptFiles } from './prompt.ts';

const log = componentLogger('agents');

export interface OpenClawRuntimeOptions {
  org: OrgDirectory;
  dataDir: string;
  providerFor(agentId: string): ModelProvider;
  services: AgentServices;
  /** Turns of a room replayed to the model (default 12); the transcript file keeps at most twice that. */
  maxTurnsInContext?: number;
  /** Agents idle this long are hibernated (default 10 minutes). */
  idleMs?: number;
  /** Model calls per message that may use tools (default 6); one more is allowed to answer. */
  maxToolRounds?: number;
  /** Warm agents kept at most; the least recently used is hibernated beyond it (default 256). */
  maxWarmAgents?: number;
  /** Characters of remembered notes put in the system prompt (default 1500). */
  memoryExcerptChars?: number;
  /** message_colleague calls allowed per turn and per conversation (default 3 and 12). */
  colleagueMessages?: ColleagueMessageLimits;
  tools?: readonly AgentTool[];
  engine?: AgentLoopEngine;
  now?: () => Date;
}

/** What a warm agent keeps in memory; all of it can be rebuilt from its directory. */
interface WarmAgent {
  workspace: AgentWorkspace;
  session: AgentLoopSession;
  files: PromptFiles;
  lastUsed: number;
}

const TOOL_RESULT_MAX_CHARS = 4000;

/**
 * Agents as OpenClaw agent loops: each agent owns a workspace directory (identity, per-room transcripts, memory), has
 * the fleet's tools, and runs OpenClaw's agent-core loop with the configured ModelProvider as its model. Idle agents
 * are hibernated (nothing in memory); their next turn reloads from disk, so a restart loses nothing either.
 */
export class OpenClawAgentRuntime implements AgentRuntime {
  readonly kind = 'openclaw';
  readonly #o: Required<Omit<OpenClawRuntimeOptions, 'engine' | 'tools' | 'now'>> & { engine: AgentLoopEngine; tools: readonly AgentTool[]; now: () => Date };
  /** Map order is recency order: a used agent is re-inserted at the end. */
  readonly #warm = new Map<string, WarmAgent>();
  /** Tail of each agent's chain of work, so turns and hibernation of one agent never overlap. */
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #colleagueBudget: ColleagueMessageBudget;
  #closed = false;

  constructor(opts: OpenClawRuntimeOptions) {
    this.#o = {
      maxTurnsInContext: 12,
      idleMs: 10 * 60_000,
      maxToolRounds: 6,
      maxWarmAgents: 256,
      memoryExcerptChars: 1500,
      colleagueMessages: DEFAULT_COLLEAGUE_MESSAGE_LIMITS,
      ...opts,
      engine: opts.engine ?? new AgentCoreEngine(),
      tools: opts.tools ?? FLEET_TOOLS,
      now: opts.now ?? (() => new Date()),
    };
    this.#colleagueBudget = new ColleagueMessageBudget(this.#o.colleagueMessages);
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(50, Math.min(this.#o.idleMs / 2, 30_000)));
    this.#sweeper.unref();
    this.#o.engine.prepare().catch((err: unknown) => log.error({ err: (err as Error).message, engine: this.#o.engine.name }, 'agent loop engine failed to load'));
  }

  /** Agents currently held in memory (tests, metrics). */
  warmAgents(): string[] {
    return [...this.#warm.keys()];
  }

  turn(input: AgentTurnInput, signal?: AbortSignal): Promise<AgentTurnResult> {
    if (this.#closed) return Promise.reject(new Error('agent runtime is closed'));
    return this.#exclusive(input.agent.matrixId, () => this.#turn(input, signal));
  }

  hibernate(agentId: string): Promise<void> {
    return this.#exclusive(agentId, async () => {
      if (this.#warm.delete(agentId)) log.debug({ agent: agentId }, 'agent hibernated');
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    await Promise.allSettled([...this.#tails.values()]);
    this.#warm.clear();
  }

  #exclusive<T>(agentId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(agentId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.#tails.set(agentId, tail);
    void tail.then(() => {
      if (this.#tails.get(agentId) === tail) this.#tails.delete(agentId);
    });
    return next;
  }

  async #wake(input: AgentTurnInput): Promise<WarmAgent> {
    const id = input.agent.matrixId;
    let warm = this.#warm.get(id);
    if (warm) {
      this.#warm.delete(id);
      // The org may have changed since the agent woke (a new manager, new reports).
      if (warm.workspace.syncIdentity(input.agent, this.#o.org)) warm.files = readPromptFiles(warm.workspace);
    } else {
      const workspace = new AgentWorkspace(this.#o.dataDir, id);
      workspace.syncIdentity(input.agent, this.#o.org);
      warm = { workspace, session: await this.#o.engine.open(id), files: readPromptFiles(workspace), lastUsed: 0 };
    }
    warm.lastUsed = Date.now();
    this.#warm.set(id, warm);
    this.#evictBeyondCapacity();
    return warm;
  }

  async #turn(input: AgentTurnInput, signal?: AbortSignal): Promise<AgentTurnResult> {
    const warm = await this.#wake(input);
    const provider = this.#o.providerFor(input.agent.matrixId);
    const transcript = warm.workspace.transcript(input.roomId);
    const toolActivity: ToolActivity[] = [];
    const conversation = this.#conversationOf(input);
    const answer = new TurnAnswer({ eventId: input.eventId, to: input.answersTo ?? input.sender.id, sender: input.sender.id });
    const ctx: ToolContext = {
      agent: input.agent,
      org: this.#o.org,
      workspace: warm.workspace,
      services: this.#o.services,
      roomId: input.roomId,
      isDirect: input.isDirect,
      sender: input.sender,
      conversation,
      colleagueMessages: this.#colleagueBudget.forTurn(conversation.rootEventId),
      answer,
      now: this.#o.now,
    };
    const result = await warm.session.run({
      agentId: input.agent.matrixId,
      provider,
      systemPrompt: systemPrompt(warm.files, warm.workspace.memoryExcerpt(input.roomId, this.#o.memoryExcerptChars), input, transcript),
      history: historyOf(transcript, this.#o.maxTurnsInContext),
      userText: speakerLine(input.sender, input.text),
      tools: this.#o.tools.map((t) => bindTool(t, ctx, toolActivity)),
      maxToolRounds: this.#o.maxToolRounds,
      ...(signal ? { signal } : {}),
    });
    const reply = answer.compose(cleanReply(result.text));
    // Out of tool rounds with nothing to say is a model stuck in a loop, not a choice to stay silent (that is
    // NO_REPLY): failing the turn gets the asker an apology instead of no answer at all.
    if (reply === null && result.rounds > this.#o.maxToolRounds && !result.text.includes(NO_REPLY)) {
      throw new Error(`the model used all ${this.#o.maxToolRounds} tool rounds and never answered`);
    }
    warm.workspace.recordTurn(input.roomId, {
      at: this.#o.now().toISOString(),
      eventId: input.eventId,
      sender: input.sender,
      text: input.text,
      reply,
      ...(toolActivity.length ? { tools: toolActivity } : {}),
    }, this.#o.maxTurnsInContext);
    warm.lastUsed = Date.now();
    return { reply, toolActivity, usage: result.usage, provider: provider.id, model: provider.model };
  }

  /**
   * The conversation the agent's colleague messages carry. Only a fleet agent's message continues one; anyone else's
   * starts a new one here, so a conversation handed in by a human can never steer where a report-back goes.
   */
  #conversationOf(input: AgentTurnInput): ConversationRef {
    return input.conversation && this.#o.org.isAgent(input.sender.id) ? input.conversation : rootConversation(input);
  }

  #evictBeyondCapacity(): void {
    for (const id of this.#warm.keys()) {
      if (this.#warm.size <= this.#o.maxWarmAgents) break;
      if (!this.#tails.has(id)) this.#warm.delete(id);
    }
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#o.idleMs;
    for (const [id, warm] of this.#warm) {
      if (warm.lastUsed < cutoff && !this.#tails.has(id)) this.#warm.delete(id);
    }
  }
}

function readPromptFiles(ws: AgentWorkspace): PromptFiles {
  return { identity: ws.read('IDENTITY.md') ?? '', soul: ws.read('SOUL.md') ?? '', agents: ws.read('AGENTS.md') ?? '' };
}

function rootConversation(input: AgentTurnInput): ConversationRef {
  return { rootEventId: input.eventId, rootRoomId: input.roomId, rootSender: input.sender.id, hop: 0 };
}

function bindTool(tool: AgentTool, ctx: ToolContext, activity: ToolActivity[]): LoopTool {
  return {
    spec: tool.spec,
    async execute(args) {
      try {
        const outcome = await tool.run(args, ctx);
        activity.push({ tool: tool.spec.name, ok: true, summary: outcome.summary });
        return outcome.text.length > TOOL_RESULT_MAX_CHARS ? `${outcome.text.slice(0, TOOL_RESULT_MAX_CHARS)}…` : outcome.text;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        activity.push({ tool: tool.spec.name, ok: false, summary: message.split('\n')[0]!.slice(0, 200) });
        throw err instanceof Error ? err : new Error(message);
      }
    },
  };
}
