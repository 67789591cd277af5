/** What a model writes when it decides to stay silent (OpenClaw's convention, also taught in SOUL.md). */
export const NO_REPLY = 'NO_REPLY';

const HIDDEN_BLOCKS = /<(think|thinking|reasoning|reflection|scratchpad|analysis)\b[^>]*>[\s\S]*?(<\/\1\s*>|$)/gi;
const TOOL_BLOCKS = /<(tool_call|tool_use|function_call|tool_result)\b[^>]*>[\s\S]*?(<\/\1\s*>|$)/gi;
const STRAY_CLOSERS = /<\/?(think|thinking|reasoning|reflection|scratchpad|analysis|tool_call|tool_use|function_call)\s*>/gi;
const FENCED_TOOL_JSON = /```(?:json|tool_call|tool)?\s*\{[\s\S]*?"(?:name|tool|function|tool_calls?)"\s*:[\s\S]*?```/gi;

function isToolJsonLine(line: string): boolean {
  const t = line.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return false;
  try {
    const v = JSON.parse(t) as Record<string, unknown>;
    return typeof v === 'object' && v !== null && ('arguments' in v || 'parameters' in v || 'tool_calls' in v || 'function' in v || ('name' in v && 'input' in v));
  } catch {
    return false;
  }
}

/**
 * Turns what a model produced into something fit to post: hidden reasoning, tool-call markup and raw tool JSON are
 * removed; null when nothing is left or the model chose NO_REPLY.
 */
export function cleanReply(text: string): string | null {
  let t = text.replace(HIDDEN_BLOCKS, '').replace(TOOL_BLOCKS, '').replace(FENCED_TOOL_JSON, '').replace(STRAY_CLOSERS, '');
  t = t.split('\n').filter((l) => !isToolJsonLine(l)).join('\n');
  t = t.replace(/\n{3,}/g, '\n\n').trim();
  if (!t || t === NO_REPLY || /^NO_REPLY\W*$/.test(t)) return null;
  return t;
}
