import { answer, deny, refuse, type Answer } from './answer.ts';
import { agentCommands } from './commands/agents.ts';
import { budgetCommands } from './commands/budget.ts';
import { fleetCommands } from './commands/fleet.ts';
import { inboxCommands } from './commands/inbox.ts';
import { orgCommands } from './commands/org.ts';
import { taskCommands } from './commands/tasks.ts';
import type { AdminContext, Caller, Category, CommandSpec } from './context.ts';
import { withoutSecrets } from './format.ts';

export type { AdminContext, Caller } from './context.ts';

/** Where `./fleet admin` posts {command} with the fleet secret; answers {ok, text, html}. */
export const ADMIN_COMMAND_PATH = '/_fleet/v1/admin/command';

const CATEGORIES: readonly Category[] = ['Fleet', 'Agents', 'Inbox', 'Org', 'Work', 'Audit'];

const helpCommand: CommandSpec = {
  name: 'help', category: 'Org', args: '[command]', changes: false, summary: 'the commands by category, or one command',
  run: (_ctx, { args, caller }) => help(args[0], caller.only),
};

export const COMMANDS: readonly CommandSpec[] = [helpCommand, ...fleetCommands, ...agentCommands, ...budgetCommands, ...inboxCommands, ...orgCommands, ...taskCommands];
const byName = new Map(COMMANDS.map((c) => [c.name, c]));

const synopsis = (c: CommandSpec) => `${c.name}${c.args ? ` ${c.args}` : ''}`;

function help(name?: string, only?: Caller['only']): Answer {
  const here = only ? COMMANDS.filter((c) => only.commands.has(c.name)) : COMMANDS;
  if (name !== undefined) {
    const c = byName.get(name.toLowerCase());
    if (!c) return unknown(name);
    return answer([`${synopsis(c)}\n${c.summary}.\n${c.changes ? 'Admins only (the CEO, org.admins, power level ≥ 50 here).' : 'Any human of the org.'}${only && !only.commands.has(c.name) ? ` Typed in ${only.elsewhere}.` : ''}`]);
  }
  return answer([
    'Fleet admin commands: type them as plain messages in this room ("help <command>" for one). ✎ marks those that change the fleet (admins only). Tables take --page N.',
    ...CATEGORIES.filter((cat) => here.some((c) => c.category === cat)).map((cat) => ({
      headers: [cat, ''], rows: here.filter((c) => c.category === cat).map((c) => [`${c.changes ? '✎ ' : ''}${synopsis(c)}`, c.summary]),
    })),
    ...(only ? [`The other commands are answered in ${only.elsewhere}.`] : []),
  ]);
}

function unknown(name: string): Answer {
  const near = suggestion(name.toLowerCase());
  return refuse(`Unknown command "${name}".${near ? ` Did you mean "${near}"?` : ''} Send "help" for the list.`);
}

/** The closest command name within two edits (commander's rule of thumb), if any. */
function suggestion(word: string): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const c of COMMANDS) {
    const d = editDistance(word, c.name);
    if (d <= Math.min(2, Math.floor(c.name.length / 2)) && (!best || d < best.d)) best = { name: c.name, d };
  }
  return best?.name;
}

/** Levenshtein distance; command names are short, so the plain two-row version is enough. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** `--page N` anywhere among the words; the rest are the command and its arguments. */
function splitPage(words: string[]): { words: string[]; page: number } {
  const at = words.indexOf('--page');
  if (at < 0) return { words, page: 1 };
  const page = Number(words[at + 1]);
  return { words: [...words.slice(0, at), ...words.slice(at + 2)], page: Number.isInteger(page) && page > 0 ? page : 1 };
}

/**
 * Runs one admin command for a caller and records it in the audit log. Strangers and readers asking for a change
 * are refused before anything runs; unknown input points to `help` with a suggestion (as mautrix management rooms
 * do); internal errors are reported briefly, never with stack traces or secrets.
 */
export async function runAdminCommand(input: string, ctx: AdminContext, caller: Caller): Promise<Answer> {
  const { words, page } = splitPage(input.trim().replace(/^!/, '').split(/\s+/).filter(Boolean));
  const name = (words[0] ?? 'help').toLowerCase();
  const command = input.trim() || 'help';
  const spec = byName.get(name);
  let result: Answer;
  if (caller.role === 'stranger') {
    result = refuse('Only the humans of the org may use this room; nothing was done.');
  } else if (!spec) {
    result = unknown(words[0] ?? '');
  } else if (caller.only && !caller.only.commands.has(spec.name)) {
    result = deny(`"${spec.name}" is not answered here: type it in ${caller.only.elsewhere}. Nothing was done.`);
  } else if (spec.changes && caller.role !== 'admin') {
    result = deny(`"${spec.name}" changes the fleet: only admins (the CEO, org.admins, power level ≥ 50 here) may run it. Nothing was done.`);
  } else {
    try {
      result = await spec.run(ctx, { args: words.slice(1), caller, page });
    } catch (err) {
      result = refuse(`That command failed: ${withoutSecrets((err as Error).message)}`);
    }
  }
  const refused = caller.role === 'stranger' || result.refused === true;
  ctx.audit.record(caller.id, command, result.ok ? 'ok' : refused ? 'refused' : 'failed', result.ok ? undefined : result.text.split('\n')[0]);
  return result;
}
