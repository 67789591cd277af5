import type { OrgDirectory } from '../org/directory.ts';
import type { ModelProvider } from '../providers/types.ts';
import { identityPrompt } from './identity.ts';
import type { AgentRuntime, AgentTurnInput, AgentTurnResult } from './runtime.ts';
import { speakerLine } from './speaker-line.ts';

/**
 * A stateless agent: its identity as system prompt, the message as the user turn, one model call. Enough to answer
 * from the directory; memory, tools and the OpenClaw loop live in the OpenClaw runtime.
 */
export class SimpleAgentRuntime implements AgentRuntime {
  readonly kind = 'simple';
  private readonly org: OrgDirectory;
  private readonly providerFor: (agentId: string) => ModelProvider;

  constructor(org: OrgDirectory, providerFor: (agentId: string) => ModelProvider) {
    this.org = org;
    this.providerFor = providerFor;
  }

  async turn(input: AgentTurnInput, signal?: AbortSignal): Promise<AgentTurnResult> {
    const provider = this.providerFor(input.agent.matrixId);
    const result = await provider.complete({
      agentId: input.agent.matrixId,
      signal,
      messages: [
        { role: 'system', content: identityPrompt(input.agent, this.org) },
        { role: 'user', content: speakerLine(input.sender, input.text) },
      ],
    });
    const reply = result.text.trim();
    return { reply: reply || null, toolActivity: [], usage: result.usage, provider: provider.id, model: provider.model };
  }

  async hibernate(): Promise<void> {}

  async close(): Promise<void> {}
}
