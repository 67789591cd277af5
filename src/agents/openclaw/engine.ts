import type { ModelProvider, ToolSpec, Usage } from '../../providers/types.ts';

/** A tool as a loop sees it: already bound to the agent and the turn; returns the text for the model or throws. */
export interface LoopTool {
  spec: ToolSpec;
  execute(args: Record<string, unknown>, signal?: AbortSignal): Promise<string>;
}

export interface LoopRequest {
  agentId: string;
  provider: ModelProvider;
  systemPrompt: string;
  /** Earlier exchanges in this room, oldest first, alternating user/assistant. */
  history: { role: 'user' | 'assistant'; content: string }[];
  userText: string;
  tools: LoopTool[];
  maxToolRounds: number;
  signal?: AbortSignal;
}

export interface LoopResult {
  /** The model's last prose, uncleaned. */
  text: string;
  usage: Usage;
  /** Model calls made. */
  rounds: number;
}

/** One agent's loop while it is warm; dropped on hibernation. */
export interface AgentLoopSession {
  run(req: LoopRequest): Promise<LoopResult>;
}

/**
 * The seam between the fleet's runtime (workspace, tools, hibernation) and whatever runs the model/tool loop:
 * OpenClaw's agent-core today; OpenClaw's full embedded runtime (agentCommandFromIngress) could be another engine.
 */
export interface AgentLoopEngine {
  readonly name: string;
  /** Loads shared code early so the first turn does not pay for it. */
  prepare(): Promise<void>;
  open(agentId: string): Promise<AgentLoopSession>;
}
