import { answer, refuse } from '../answer.ts';
import type { CommandSpec } from '../context.ts';
import { count, oneLine } from '../format.ts';
import { describePlan, isNoChange, type ReloadPlan } from '../reload.ts';

const planAnswer = (plan: ReloadPlan, head: string, page: number) => {
  const { summary, rows } = describePlan(plan);
  return answer([`${head}\n${summary}`, ...(rows.length ? [{ headers: ['change', 'who'], rows, page }] : [])]);
};

/** who (the directory), reload (org and config from disk), broadcast (to everyone) and audit (what operators did). */
export const orgCommands: CommandSpec[] = [
  {
    name: 'who', category: 'Org', args: '<query>', changes: false,
    summary: 'search the people directory (name, localpart, title, team, department)',
    run(ctx, { args, page }) {
      if (args.length === 0) return refuse('who needs something to search for, e.g. "who platform engineer".');
      const found = ctx.org.search(args.join(' '), 200);
      if (found.length === 0) return answer(['Nobody found.']);
      return answer([{ headers: ['name', 'title', 'department', 'matrix id', 'agent'], page,
        rows: found.map((p) => [p.name, p.title, p.department, p.matrixId, p.human ? 'human' : ctx.controls.isLive(p.matrixId) ? 'live' : 'not staffed']) }]);
    },
  },
  {
    name: 'reload', category: 'Org', args: '[confirm]', changes: true,
    summary: 're-read the org and config and show the difference (hires, departures, moves, live set); "reload confirm" applies it',
    async run(ctx, { args, page }) {
      if (!ctx.reload) return refuse('This router cannot re-read the org; restart it with the new org instead.');
      if (args[0] === undefined) {
        const plan = await ctx.reload.preview();
        if (isNoChange(plan)) return answer(['The org and config on disk match what the fleet runs: nothing to reload.']);
        return planAnswer(plan, 'Reloading would change (send "reload confirm" to apply):', page);
      }
      if (args[0].toLowerCase() !== 'confirm') return refuse('reload takes nothing or "confirm".');
      const done = await ctx.reload.confirm();
      if (!done.applied) return done.plan ? planAnswer(done.plan, `Not applied: ${done.why}`, page) : refuse(`Not applied: ${done.why}`);
      const hires = done.plan.diff.hires.length > 0
        ? ' With a listed namespace (appservice.namespace list, or auto below its size limit) hires get messages once the homeserver has loaded the rewritten registration; under all-but-humans at once (README, "A new hire").' : '';
      return planAnswer(done.plan, `Reloaded. Homeserver: ${done.provisioned}. ${done.shards}${hires}`, page);
    },
  },
  {
    name: 'broadcast', category: 'Org', args: '<text>', changes: true,
    summary: 'post an announcement to #all-employees as a notice (agents do not answer notices)',
    async run(ctx, { args }) {
      if (args.length === 0) return refuse('broadcast needs the text to post.');
      if (!ctx.broadcast) return refuse('This router cannot post to #all-employees.');
      if (!(await ctx.broadcast(args.join(' ')))) return refuse('#all-employees does not exist yet; run ./fleet provision.');
      return answer(['Posted to #all-employees.']);
    },
  },
  {
    name: 'audit', category: 'Audit', args: '[n]', changes: false,
    summary: 'the last n (default 20) admin commands: who, when, what, outcome',
    run(ctx, { args, page }) {
      const n = args[0] === undefined ? 20 : count(args[0], 1000);
      if (n === undefined) return refuse('audit takes a number of entries between 1 and 1000.');
      const rows = ctx.audit.recent(n);
      if (rows.length === 0) return answer(['No admin command recorded yet.']);
      return answer([`Last ${rows.length} admin command(s), newest first:`, {
        headers: ['when', 'who', 'command', 'outcome'], page,
        rows: rows.map((r) => [new Date(r.at).toISOString().slice(0, 19), r.sender, oneLine(r.command, 80), r.detail ? `${r.outcome}: ${oneLine(r.detail, 80)}` : r.outcome]),
      }]);
    },
  },
];
