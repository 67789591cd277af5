import { z } from 'zod';
import { capText, ToolInputError, type AgentTool } from './types.ts';

const MAX_RECALL_CHARS = 3000;

/**
 * Keeps a lasting note, quoted with who said it, where and when. Notes from a direct chat, or marked private, come
 * back only in the room they were made in.
 */
export const rememberTool: AgentTool = {
  spec: {
    name: 'remember',
    description:
      'Save a lasting note: facts you were told, decisions, commitments. One concise sentence or two. The note is kept ' +
      'with who told you, where and when. Set `private` when they ask to keep it confidential: it is then recalled ' +
      'only in this room (notes from a direct chat always are).',
    parameters: {
      type: 'object',
      properties: {
        note: { type: 'string', description: 'what to remember' },
        private: { type: 'boolean', description: 'true when the person asked to keep it confidential' },
      },
      required: ['note'],
      additionalProperties: false,
    },
  },
  async run(rawArgs, ctx) {
    const parsed = z.object({ note: z.string(), private: z.boolean().optional() }).safeParse(rawArgs);
    if (!parsed.success || !parsed.data.note.trim()) throw new ToolInputError('remember needs `note` (non-empty text)');
    const note = ctx.workspace.remember(parsed.data.note, {
      from: ctx.sender, roomId: ctx.roomId, isDirect: ctx.isDirect, private: parsed.data.private ?? false,
    }, ctx.now());
    const where = note.scope === 'room' ? 'private to this room' : 'recalled in every room';
    return { text: `Saved (${where}): ${note.text}`, summary: `remembered "${note.text.slice(0, 60)}"${note.scope === 'room' ? ' (private)' : ''}` };
  },
};

/** Searches the agent's own notes (MEMORY.md and memory/*.md); without a query, the newest notes. */
export const recallTool: AgentTool = {
  spec: {
    name: 'recall',
    description: 'Search your notes (what you remembered, MEMORY.md and memory/*.md) by keywords; without a query, your newest notes. Each note says who said it, where and when.',
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
    const hits = ctx.workspace.recall(query, ctx.roomId);
    const text = hits.length
      ? hits.map((h) => h.text).join('\n')
      : query ? `No notes mention "${query}".` : 'No notes yet.';
    return { text: capText(text, MAX_RECALL_CHARS), summary: `recall${query ? ` "${query.slice(0, 60)}"` : ''}: ${hits.length} notes` };
  },
};

/** Same as recall, under the name OpenClaw workspaces use, so prompts written for either work. */
export const readMemoryTool: AgentTool = {
  spec: { ...recallTool.spec, name: 'read_memory' },
  run: recallTool.run,
};
