import { answer, refuse, type Answer } from '../answer.ts';
import type { AdminContext, CommandSpec } from '../context.ts';
import { ago, count, localpart, oneLine, usd, withoutSecrets } from '../format.ts';
import { resolveAgents, resolvePerson } from '../targets.ts';
import type { Person } from '../../org/types.ts';
import type { AgentView } from '../../router/fleet-view.ts';
import { budgetLine } from './budget.ts';
import type { ScopeKey } from '../../budget/limits.ts';

/** The one person `<who>` names, or the refusal saying why not. */
function onePerson(ctx: AdminContext, args: string[]): Person | Answer {
  const found = resolvePerson(ctx.org, args.join(' '));
  return 'error' in found ? refuse(found.error) : found.people[0]!;
}
const isAnswer = (x: Person | Answer): x is Answer => 'ok' in x;

/** The budget `usage` shows beside the figures: the fleet's, the department's or the agent's. */
function usageScope(ctx: AdminContext, args: string[], people: Person[]): ScopeKey | undefined {
  if (args.length === 0 || args.join(' ').toLowerCase() === 'all') return 'fleet';
  if (ctx.org.department(args.join(' ')).length > 0) return `department:${people[0]!.department}`;
  return people.length === 1 ? `agent:${people[0]!.matrixId}` : undefined;
}

function stateOf(ctx: AdminContext, a: AgentView): string {
  if (!a.live) return 'not staffed';
  const base = a.warm ? 'warm' : 'hibernated';
  if (ctx.budgets?.overBudget(a.agentId)) return `paused: over budget (${base})`;
  return ctx.controls.isPaused(a.agentId) ? `paused (${base})` : base;
}

async function agentView(ctx: AdminContext, agentId: string): Promise<AgentView | undefined> {
  return (await ctx.view.agents()).find((a) => a.agentId === agentId);
}

/** agent, where, logs, usage, pause, resume, staff, unstaff: one agent or a group of them. */
export const agentCommands: CommandSpec[] = [
  {
    name: 'agent', category: 'Agents', args: '<who>', changes: false,
    summary: 'one agent: shard, state, queue, last turns, tokens and cost',
    async run(ctx, { args }) {
      const p = onePerson(ctx, args);
      if (isAnswer(p)) return p;
      if (p.human) return answer([`${p.name} (${p.matrixId}) is human: ${p.title}, ${p.department}.`]);
      const [a, turns] = await Promise.all([agentView(ctx, p.matrixId), ctx.view.activity({ limit: 1000 })]);
      if (!a) return refuse(`${p.name} has no agent view.`);
      const last = turns.filter((t) => t.agentId === p.matrixId).slice(-3).reverse();
      return answer([
        [`${p.name} (${p.matrixId}), ${p.title}, ${p.department}${p.team ? ` / ${p.team}` : ''}`,
          `shard: ${a.shardId ?? 'none'} · state: ${stateOf(ctx, a)} · queued on its shard: ${a.queued} · waiting in the router: ${ctx.waiting(p.matrixId)}`,
          `turns: ${a.turns} · tokens in ${a.inputTokens} / out ${a.outputTokens} · cost ~${usd(a.costUsd)} · last turn ${ago(a.lastTurnAt)}`,
          ...(ctx.budgets ? [`budget: ${budgetLine(ctx, ctx.budgets, `agent:${p.matrixId}`)}`] : []),
          ...(ctx.tasks ? [`open tasks: ${ctx.tasks.openTasksOf(p.matrixId)}`] : [])].join('\n'),
        ...(last.length ? ['Last turns:', { headers: ['when', 'outcome', 'room', 'ms', 'tokens'],
          rows: last.map((t) => [ago(t.at), t.outcome, t.roomId, String(t.latencyMs), `${t.inputTokens}/${t.outputTokens}`]) }] : ['No turns recorded yet.']),
      ]);
    },
  },
  {
    name: 'where', category: 'Agents', args: '<who>', changes: false,
    summary: 'which shard hosts an agent',
    async run(ctx, { args }) {
      const p = onePerson(ctx, args);
      if (isAnswer(p)) return p;
      if (p.human) return answer([`${p.name} is human: no shard hosts them.`]);
      const a = await agentView(ctx, p.matrixId);
      return answer([`${p.name} (${p.matrixId}) is on ${a?.shardId ?? (a?.live === false ? 'no shard (not staffed)' : 'no live shard')}.`]);
    },
  },
  {
    name: 'logs', category: 'Agents', args: '<who> [n]', changes: false,
    summary: 'the last n (default 10) turns and errors of one agent',
    async run(ctx, { args, page }) {
      const n = args.length > 1 ? count(args.at(-1), 200) : undefined;
      const p = onePerson(ctx, n === undefined ? args : args.slice(0, -1));
      if (isAnswer(p)) return p;
      const turns = (await ctx.view.activity({ limit: 1000 })).filter((t) => t.agentId === p.matrixId).slice(-(n ?? 10)).reverse();
      if (turns.length === 0) return answer([`No turns of ${p.name} recorded on the live shards.`]);
      return answer([`Last ${turns.length} turn(s) of ${p.name}, newest first:`, {
        headers: ['when', 'shard', 'outcome', 'room', 'from', 'ms', 'model', 'error'], page,
        rows: turns.map((t) => [new Date(t.at).toISOString().slice(0, 19), t.shardId, t.outcome, t.roomId, localpart(t.senderId),
          String(t.latencyMs), t.model, t.error ? oneLine(withoutSecrets(t.error), 120) : '']),
      }]);
    },
  },
  {
    name: 'usage', category: 'Agents', args: '[who|department]', changes: false,
    summary: 'tokens and estimated cost: the fleet, a department or one agent',
    async run(ctx, { args, page }) {
      const target = args.length ? resolveAgents(ctx.org, args.join(' ')) : { people: ctx.org.agents(), label: 'the fleet' };
      if ('error' in target) return refuse(target.error);
      const ids = new Set(target.people.map((p) => p.matrixId));
      const rows = (await ctx.view.agents()).filter((a) => ids.has(a.agentId) && a.turns > 0).sort((x, y) => y.costUsd - x.costUsd);
      const sum = (f: (a: AgentView) => number) => rows.reduce((n, a) => n + f(a), 0);
      const budget = ctx.budgets && usageScope(ctx, args, target.people);
      const budgetPart = budget ? [`budget: ${budgetLine(ctx, ctx.budgets!, budget)}`] : [];
      if (rows.length === 0) return answer([`No model usage recorded yet for ${target.label}.`, ...budgetPart]);
      return answer([`Usage of ${target.label}: ${sum((a) => a.turns)} turn(s), tokens in ${sum((a) => a.inputTokens)} / out ${sum((a) => a.outputTokens)}, ~${usd(sum((a) => a.costUsd))}.`, ...budgetPart, {
        headers: ['agent', 'department', 'turns', 'in', 'out', 'cost'], page,
        rows: rows.map((a) => [localpart(a.agentId), a.department, String(a.turns), String(a.inputTokens), String(a.outputTokens), usd(a.costUsd)]),
      }]);
    },
  },
  {
    name: 'pause', category: 'Agents', args: '<who|department|all>', changes: true,
    summary: 'stop handing work to agents; their messages wait in the outbox and are answered on resume',
    run(ctx, { args, caller }) {
      const target = resolveAgents(ctx.org, args.join(' '));
      if ('error' in target) return refuse(target.error);
      const fresh = ctx.controls.pause(target.people.map((p) => p.matrixId), caller.id);
      return answer([`Paused ${target.label}: ${fresh.length} agent(s) newly paused (${ctx.controls.paused().length} in all). Turns already running finish; new messages wait.`]);
    },
  },
  {
    name: 'resume', category: 'Agents', args: '<who|department|all>', changes: true,
    summary: 'hand paused agents their waiting messages again',
    run(ctx, { args }) {
      const target = resolveAgents(ctx.org, args.join(' '));
      if ('error' in target) return refuse(target.error);
      const was = ctx.controls.resume(target.people.map((p) => p.matrixId));
      const waiting = was.reduce((n, id) => n + ctx.waiting(id), 0);
      return answer([was.length === 0 ? `Nobody in ${target.label} was paused.` : `Resumed ${was.length} agent(s) of ${target.label}; ${waiting} waiting message(s) handed now.`]);
    },
  },
  ...(['staff', 'unstaff'] as const).map((name): CommandSpec => ({
    name, category: 'Agents', args: '<who>', changes: true,
    summary: name === 'staff' ? 'give an employee a live agent, at once' : 'answer for an employee with the "not staffed" notice instead, at once',
    run(ctx, { args, caller }) {
      const target = resolveAgents(ctx.org, args.join(' '));
      if ('error' in target) return refuse(target.error);
      if (target.people.length !== 1) return refuse(`${name} takes one person, not ${target.label}.`);
      const p = target.people[0]!;
      const changed = ctx.controls.setStaffed(p.matrixId, name === 'staff', caller.id);
      const now = name === 'staff' ? 'staffed: a live agent answers' : 'not staffed: messages get the "not staffed" notice';
      return answer([`${p.name} is ${now}${changed ? ' from now on' : ' already'}.`]);
    },
  })),
];
