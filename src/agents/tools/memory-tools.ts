import { z } from 'zod';
import { capText, ToolInputError, type AgentTool } from './types.ts';

const MAX_RECALL_CHARS = 3000;

/** Writes a lasting, dated note to the agent's own MEMORY.md. */
export const rememberTool: AgentTool = {
  spec: {
    name: 'remember',
    description: 'Save a lasting note to your memory (MEMORY.md): facts you were told, decisions, commitments. One concise sentence or two.',
    parameters: {
      type: 'object',
      properties: { note: { type: 'string', description: 'what to remember' } },
      required: ['note'],
      additionalProperties: false,
    },
  },
  async run(rawArgs, ctx) {
    const parsed = z.object({ note: z.string() }).safeParse(rawArgs);
    if (!parsed.success || !parsed.data.note.trim()) throw new ToolInputError('remember needs `note` (non-empty text)');
    const line = ctx.workspace.remember(parsed.data.note, ctx.now());
    return { text: `Saved to MEMORY.md: ${line.slice(2)}`, summary: `remembered "${parsed.data.note.slice(0, 60)}"` };
  },
};

/** Searches the agent's own notes (MEMORY.md and memory/*.md); without a query, the newest notes. */
export const recallTool: AgentTool = {
  spec: {
    name: 'recall',
    description: 'Search your memory notes (MEMORY.md and memory/*.md) by keywords; without a query, your newest notes.',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string', description: 'keywords to look for' } },
      additionalProperties: false,
    },
  },
  async run(rawArgs, ctx) {
    const parsed = z.object({ query: z.string().optional() }).safeParse(rawArgs);
    if (!parsed.success) throw new ToolInputError('recall takes an optional `query` string');
    const query = parsed.data.query?.trim() || undefined;
    const hits = ctx.workspace.recall(query);
    const text = hits.length
      ? hits.map((h) => (h.file === 'MEMORY.md' ? h.text : `${h.text} [${h.file}]`)).join('\n')
      : query ? `No notes mention "${query}".` : 'No notes yet.';
    return { text: capText(text, MAX_RECALL_CHARS), summary: `recall${query ? ` "${query.slice(0, 60)}"` : ''}: ${hits.length} notes` };
  },
};

/** Same as recall, under the name OpenClaw workspaces use, so prompts written for either work. */
export const readMemoryTool: AgentTool = {
  spec: { ...recallTool.spec, name: 'read_memory' },
  run: recallTool.run,
};
