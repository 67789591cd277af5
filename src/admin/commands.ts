import { Command, CommanderError } from 'commander';
import type { OrgDirectory } from '../org/directory.ts';
import type { ParkedEvent } from '../router/inbox.ts';
import { placeAgent } from '../protocol/placement.ts';

/** What admin commands may look at and change; the router supplies it. */
export interface AdminContext {
  org: OrgDirectory;
  shards(): Array<{ shardId: string; url: string; unfinished: number }>;
  inbox(): { pending: number; done: number; failed: number };
  /** Events parked after their last failed attempt, oldest first (Inbox.parked). */
  parked(limit: number): ParkedEvent[];
  /** Queues parked events again (Inbox.replay, then wake the dispatcher); returns how many. */
  replay(target: number | 'all'): number;
  /** Absent when the router does not manage its shards. */
  scale?: (count: number) => Promise<void>;
  /** Token use per agent across live shards, biggest spenders first. */
  usage(): Promise<Array<{ agentId: string; model: string; inputTokens: number; outputTokens: number; costUsd: number }>>;
}

const HELP = [
  'Fleet admin commands (type them as plain messages in this room):',
  '  help                 this list',
  '  status               shards, their unfinished work, and the router inbox',
  '  where <agent>        which shard hosts an agent (name, localpart or matrix id)',
  '  scale <n>            run n shards (live; agents move by rendezvous placement)',
  '  usage                token use and estimated cost of the biggest spenders',
  '  parked               events that failed every attempt: seq, room, sender, attempts, last error',
  '  replay <seq>|all     route parked events again',
  '  who <query>          search the people directory',
].join('\n');

const PARKED_SHOWN = 20;
const oneLine = (s: string): string => { const t = s.replace(/\s+/g, ' '); return t.length > 160 ? `${t.slice(0, 159)}…` : t; };

/**
 * Runs one admin command and returns the text to answer with. Unknown input gets a pointer to `help` (as mautrix
 * management rooms do); internal errors are reported briefly, never with stack traces or secrets.
 */
export async function runAdminCommand(input: string, ctx: AdminContext): Promise<string> {
  const words = input.trim().replace(/^!/, '').split(/\s+/).filter(Boolean);
  if (words.length === 0) return HELP;
  let out = '';
  const program = new Command()
    .exitOverride()
    .configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { out += s; } })
    .showSuggestionAfterError();
  program.command('help').action(() => { out = HELP; });
  program.command('status').action(() => {
    const shards = ctx.shards();
    const inbox = ctx.inbox();
    out = [
      `${shards.length} live shard(s):`,
      ...shards.map((s) => `  ${s.shardId}  ${s.url}  unfinished: ${s.unfinished}`),
      `inbox: ${inbox.pending} pending, ${inbox.done} done, ${inbox.failed} failed`,
    ].join('\n');
  });
  program.command('where').argument('<agent...>').action((agent: string[]) => {
    const person = ctx.org.resolve(agent.join(' '));
    if (!person) out = `Nobody matches "${agent.join(' ')}".`;
    else if (person.human) out = `${person.name} is human: no shard hosts them.`;
    else out = `${person.name} (${person.matrixId}) is on ${placeAgent(person.matrixId, ctx.shards().map((s) => s.shardId)) ?? 'no live shard'}.`;
  });
  program.command('scale').argument('<count>').action(async (raw: string) => {
    const count = Number(raw);
    if (!Number.isInteger(count) || count < 1 || count > 1000) out = 'scale needs a whole number of shards between 1 and 1000.';
    else if (!ctx.scale) out = 'This router does not manage its shards (shards.driver); scale them where they run.';
    else {
      await ctx.scale(count);
      out = `Scaling to ${count} shard(s); new shards join placement when they first heartbeat.`;
    }
  });
  program.command('usage').action(async () => {
    const rows = (await ctx.usage()).slice(0, 10);
    out = rows.length === 0 ? 'No model usage recorded yet.' : ['Top spenders:', ...rows.map((r) =>
      `  ${r.agentId}  ${r.model}  in ${r.inputTokens} / out ${r.outputTokens} tokens  ~$${r.costUsd.toFixed(4)}`)].join('\n');
  });
  program.command('parked').action(() => {
    const rows = ctx.parked(PARKED_SHOWN + 1);
    out = rows.length === 0 ? 'No parked events.' : [
      `Parked events (oldest first; "replay <seq>" or "replay all"):`,
      ...rows.slice(0, PARKED_SHOWN).map((r) =>
        `  #${r.seq}  ${r.roomId}  from ${r.sender}  ${r.attempts} attempt(s)  ${oneLine(r.lastError ?? 'no error recorded')}`),
      ...(rows.length > PARKED_SHOWN ? [`  … and more; replay these first or use "replay all".`] : []),
    ].join('\n');
  });
  program.command('replay').argument('<seq|all>').action((raw: string) => {
    const target = raw === 'all' ? 'all' : Number(raw.replace(/^#/, ''));
    if (target !== 'all' && (!Number.isInteger(target) || target < 1)) {
      out = 'replay needs the number of a parked event (see "parked") or "all".';
      return;
    }
    const n = ctx.replay(target);
    out = n === 0 ? (target === 'all' ? 'No parked events.' : `#${target} is not parked.`) : `Queued ${n} event(s) again.`;
  });
  program.command('who').argument('<query...>').action((q: string[]) => {
    const found = ctx.org.search(q.join(' '), 10);
    out = found.length === 0 ? 'Nobody found.' : found.map((p) => `${p.name} — ${p.title}, ${p.department} (${p.matrixId})`).join('\n');
  });
  try {
    await program.parseAsync(words, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return `${out.trim() || err.message}\nUnknown command or arguments; send "help" for the list.`;
    return `That command failed: ${(err as Error).message}`;
  }
  return out.trim();
}
