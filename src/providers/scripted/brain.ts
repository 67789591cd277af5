/**
 * The scripted model's "mind": a pure, deterministic function from a conversation to a reply. Rules let tests script
 * whole conversations; without a matching rule it answers from the identity the agent runtime writes into the
 * system prompt, so an unscripted fleet still behaves plausibly (and checkably) offline.
 */
import type { ChatMessage, ToolSpec } from '../types.ts';

export interface ScriptRule {
  id?: string;
  /** Matches the request's agentId (also its Matrix localpart) or the agent's `Name:`; case-insensitive. */
  agent?: string;
  /** Which turn the rule answers: after a user message (default) or after a tool result. */
  when?: 'user' | 'tool';
  /** Regex source, case-insensitive, tested against the last user text ('user') or the last tool result ('tool'). */
  match?: string;
  /** Template: {{name}} {{title}} {{manager}} {{manager_title}} {{direct_reports}} {{agent}} {{input}} {{tool_result}} {{match.N}} */
  reply?: string;
  /** String values (at any depth) are templates too. */
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  /** Consumed after this many uses; unlimited when absent. Counting is done by ScriptBook, not here. */
  times?: number;
  /** Instead of answering, fail the way real providers do (the server acts it out; the reply is then unused). */
  fault?: ScriptFault;
}

/**
 * How a provider misbehaves: an HTTP error (429 with Retry-After, 5xx), no answer for `hangMs` (the client's
 * timeout fires first), or a stream that breaks: cut before it completes, or a chunk that is not JSON.
 */
export type ScriptFault =
  | { status: number; retryAfterSeconds?: number }
  | { hangMs: number }
  | { malformedStream: 'truncated' | 'garbage' };

export interface ScriptedRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  agentId?: string;
}

export interface ScriptedReply {
  text?: string;
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  /** The rule that produced the reply (same object as in `rules`), absent for default behaviour. */
  rule?: ScriptRule;
}

export interface Identity {
  name?: string;
  title?: string;
  /** undefined: not stated; null: reports to nobody. */
  manager?: { name: string; title?: string } | null;
  directReports?: number;
}

export function scriptedReply(req: ScriptedRequest, rules: readonly ScriptRule[]): ScriptedReply {
  const identity = parseIdentity(req.messages);
  const last = req.messages.at(-1);
  const phase: 'user' | 'tool' = last?.role === 'tool' ? 'tool' : 'user';
  const input = lastContent(req.messages, 'user');
  const toolResult = phase === 'tool' && last ? last.content : lastContent(req.messages, 'tool');
  const subject = phase === 'tool' ? toolResult : input;

  for (const rule of rules) {
    if ((rule.when ?? 'user') !== phase) continue;
    if (rule.agent !== undefined && !agentMatches(rule.agent, req.agentId, identity.name)) continue;
    const match = rule.match === undefined ? ([subject] as RegExpMatchArray) : subject.match(new RegExp(rule.match, 'i'));
    if (!match) continue;
    const vars = templateVars(identity, req.agentId, input, toolResult, match);
    const reply: ScriptedReply = { rule };
    if (rule.reply !== undefined) reply.text = fillTemplate(rule.reply, vars);
    if (rule.toolCalls?.length) {
      reply.toolCalls = rule.toolCalls.map((c) => ({ name: c.name, arguments: fillDeep(c.arguments, vars) as Record<string, unknown> }));
    }
    if (reply.text === undefined && !reply.toolCalls) reply.text = '';
    return reply;
  }
  return { text: phase === 'tool' ? `Done: ${toolResult.slice(0, 200)}` : defaultAnswer(identity, req.agentId, input) };
}

const LINE = (label: string): RegExp => new RegExp(`^[\\s>*-]*${label}:[ \\t]*(.+?)[ \\t]*$`, 'im');

export function parseIdentity(messages: ChatMessage[]): Identity {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  const identity: Identity = {};
  const name = system.match(LINE('Name'))?.[1];
  if (name) identity.name = name;
  const title = system.match(LINE('Title'))?.[1];
  if (title) identity.title = title;
  const reportsTo = system.match(LINE('Reports to'))?.[1];
  if (reportsTo) {
    if (/^(nobody|no one|none|-)\.?$/i.test(reportsTo)) identity.manager = null;
    else {
      const m = reportsTo.match(/^(.*?)\s*\((.*)\)$/);
      identity.manager = m?.[1] ? { name: m[1], ...(m[2] ? { title: m[2] } : {}) } : { name: reportsTo };
    }
  }
  const reports = system.match(LINE('Direct reports'))?.[1]?.match(/^\d+/)?.[0];
  if (reports !== undefined) identity.directReports = Number(reports);
  return identity;
}

function defaultAnswer(id: Identity, agentId: string | undefined, input: string): string {
  const name = id.name ?? agentId ?? 'Assistant';
  const who = id.title ? `${name} (${id.title})` : name;
  const text = input.trim();
  if (/\b(who|whom)\b.*\breports?\s+to\b|\byour\s+(manager|boss)\b/i.test(text)) {
    if (id.manager === null) return `I don't report to anyone: as ${id.title ?? name} I'm at the top of the organisation.`;
    if (id.manager) return `I report to ${id.manager.name}${id.manager.title ? ` (${id.manager.title})` : ''}.`;
  }
  if (/\bhow many\b.*\b(direct reports|reports?\s+to\s+you)\b/i.test(text) && id.directReports !== undefined) {
    return `I have ${id.directReports} direct report${id.directReports === 1 ? '' : 's'}.`;
  }
  if (/\bwho are you\b|\bwhat do you do\b|\bwhat(?:'s| is) your (name|title|role|job)\b/i.test(text)) {
    return id.title ? `I'm ${name}, ${id.title}.` : `I'm ${name}.`;
  }
  if (!text) return `${who} here.`;
  const quoted = text.length > 500 ? `${text.slice(0, 500)}…` : text;
  return `${who} here. You said: "${quoted}"`;
}

function agentMatches(wanted: string, agentId: string | undefined, name: string | undefined): boolean {
  const w = wanted.toLowerCase();
  const candidates = [agentId, agentId?.replace(/^@/, '').split(':')[0], name];
  return candidates.some((c) => c !== undefined && c.toLowerCase() === w);
}

function lastContent(messages: ChatMessage[], role: 'user' | 'tool'): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === role) return m.content;
  }
  return '';
}

function templateVars(id: Identity, agentId: string | undefined, input: string, toolResult: string, match: RegExpMatchArray): Map<string, string> {
  const vars = new Map<string, string>([
    ['name', id.name ?? agentId ?? ''],
    ['title', id.title ?? ''],
    ['manager', id.manager ? id.manager.name : 'nobody'],
    ['manager_title', id.manager?.title ?? ''],
    ['direct_reports', String(id.directReports ?? 0)],
    ['agent', agentId ?? ''],
    ['input', input],
    ['tool_result', toolResult],
  ]);
  match.forEach((g, i) => vars.set(`match.${i}`, g ?? ''));
  for (const [k, v] of Object.entries(match.groups ?? {})) vars.set(`match.${k}`, v ?? '');
  return vars;
}

/** Unknown placeholders stay visible (e.g. a typo like {{nmae}}), which makes a broken script easy to spot. */
export function fillTemplate(template: string, vars: Map<string, string>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, key: string) => vars.get(key) ?? (key.startsWith('match.') ? '' : whole));
}

function fillDeep(value: unknown, vars: Map<string, string>): unknown {
  if (typeof value === 'string') return fillTemplate(value, vars);
  if (Array.isArray(value)) return value.map((v) => fillDeep(v, vars));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDeep(v, vars)]));
  }
  return value;
}
