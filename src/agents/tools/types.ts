import type { OrgDirectory } from '../../org/directory.ts';
import type { Person } from '../../org/types.ts';
import type { ToolSpec } from '../../providers/types.ts';
import type { AgentServices, ConversationRef } from '../runtime.ts';
import type { AgentWorkspace } from '../workspace/workspace.ts';
import type { ColleagueAllowance } from './colleague-budget.ts';
import type { TurnAnswer } from './turn-answer.ts';

/** What a tool may use during one turn of one agent. */
export interface ToolContext {
  agent: Person;
  org: OrgDirectory;
  workspace: AgentWorkspace;
  services: AgentServices;
  roomId: string;
  isDirect: boolean;
  /** Whose message the agent is handling: what it remembers is quoted with this source. */
  sender: { id: string; name: string; human: boolean };
  /** The conversation this turn belongs to (built from the turn itself when a human started it). */
  conversation: ConversationRef;
  /** message_colleague calls still allowed in this turn and conversation. */
  colleagueMessages: ColleagueAllowance;
  /** Who this turn's answer goes to; a message to them through message_colleague becomes that answer. */
  answer?: TurnAnswer;
  now: () => Date;
}

/** A tool's result text goes back to the model; `summary` is the short line shown in toolActivity. */
export interface ToolOutcome { text: string; summary: string }

export interface AgentTool {
  spec: ToolSpec;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome>;
}

/** A refusal or a bad argument: shown to the model as the tool's error so it can correct itself. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

/** Caps a tool's text so one call cannot flood the context. */
export function capText(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 40)}\n… (truncated, ${text.length - maxChars + 40} more chars)`;
}
