import { z } from 'zod';
import type { Person } from '../../org/types.ts';
import { domainOf, personLine, resolvePerson } from './resolve-person.ts';
import { capText, ToolInputError, type AgentTool, type ToolContext } from './types.ts';

const ACTIONS = ['search', 'find', 'department', 'team', 'title', 'level', 'manager', 'reports', 'chain', 'list'] as const;
const MAX_CHARS = 3000;

const argsSchema = z.object({
  action: z.enum(ACTIONS),
  query: z.string().optional(),
  name: z.string().optional(),
  level: z.union([z.number(), z.string()]).optional(),
  limit: z.number().int().min(1).max(50).optional(),
});

function listing(title: string, people: Person[], limit: number): string {
  if (!people.length) return `${title}: nobody found.`;
  const shown = people.slice(0, limit).map(personLine);
  const more = people.length > limit ? `\n… and ${people.length - limit} more (narrow the query)` : '';
  return `${title} (${people.length}):\n${shown.join('\n')}${more}`;
}

function personOf(ctx: ToolContext, ref: string | undefined): Person {
  if (!ref?.trim()) throw new ToolInputError('this action needs `name` (a name or Matrix id)');
  const found = resolvePerson(ctx.org, ref, domainOf(ctx.agent.matrixId));
  if (found.kind === 'found') return found.person;
  if (found.kind === 'ambiguous') {
    throw new ToolInputError(`"${ref}" matches several people; use a Matrix id:\n${found.candidates.slice(0, 10).map(personLine).join('\n')}`);
  }
  throw new ToolInputError(`nobody called "${ref}" works here`);
}

function details(ctx: ToolContext, p: Person): string {
  const manager = ctx.org.manager(p.matrixId);
  const reports = ctx.org.reports(p.matrixId);
  return [
    personLine(p),
    `Level: ${p.level}`,
    `Manager: ${manager ? personLine(manager) : 'nobody (top of the organisation)'}`,
    `Direct reports: ${reports.length}`,
  ].join('\n');
}

function summaryByDepartment(all: Person[]): string {
  const departments = new Map<string, { people: number; teams: Set<string> }>();
  for (const p of all) {
    const d = departments.get(p.department) ?? { people: 0, teams: new Set<string>() };
    d.people++;
    if (p.team) d.teams.add(p.team);
    departments.set(p.department, d);
  }
  const rows = [...departments].sort((a, b) => b[1].people - a[1].people).map(([name, d]) => `${name}: ${d.people} people, ${d.teams.size} teams`);
  return `${all.length} people in ${departments.size} departments:\n${rows.join('\n')}`;
}

/** The company directory, read-only, in compact text. */
export const peopleTool: AgentTool = {
  spec: {
    name: 'people',
    description:
      'Look up colleagues in the company directory. Actions: search {query} (names, titles, departments), find {name} ' +
      '(one person in detail), department {name}, team {name}, title {query}, level {level}, manager {name}, ' +
      'reports {name} (direct reports), chain {name} (management chain up to the CEO), list (departments and sizes). ' +
      '`name` accepts a full name or a Matrix id.',
    parameters: {
      type: 'object',
      properties: {
        action: { type: 'string', enum: [...ACTIONS] },
        query: { type: 'string', description: 'search text, department/team/title name' },
        name: { type: 'string', description: 'person: full name or Matrix id' },
        level: { type: ['number', 'string'], description: 'for action=level' },
        limit: { type: 'number', description: 'max people listed (default 25, max 50)' },
      },
      required: ['action'],
      additionalProperties: false,
    },
  },
  async run(rawArgs, ctx) {
    const parsed = argsSchema.safeParse(rawArgs);
    if (!parsed.success) throw new ToolInputError(`bad arguments: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ')}`);
    const a = parsed.data;
    const limit = a.limit ?? 25;
    const term = (a.query ?? a.name)?.trim();
    const need = (what: string): string => {
      if (!term) throw new ToolInputError(`action ${a.action} needs ${what}`);
      return term;
    };
    let text: string;
    switch (a.action) {
      case 'search': {
        const q = need('`query`');
        text = listing(`People matching "${q}"`, ctx.org.search(q), limit);
        break;
      }
      case 'find':
        text = details(ctx, personOf(ctx, a.name ?? a.query));
        break;
      case 'department': {
        const d = need('`name` (department)');
        text = listing(`Department ${d}`, ctx.org.department(d), limit);
        break;
      }
      case 'team': {
        const t = need('`name` (team)');
        text = listing(`Team ${t}`, ctx.org.team(t), limit);
        break;
      }
      case 'title': {
        const t = need('`query` (title)');
        text = listing(`Title "${t}"`, ctx.org.byTitle(t), limit);
        break;
      }
      case 'level': {
        const level = a.level ?? a.query;
        if (level === undefined || level === '') throw new ToolInputError('action level needs `level` (CEO, VP, Director, Manager, IC or 1-5)');
        text = listing(`Level ${level}`, ctx.org.byLevel(level), limit);
        break;
      }
      case 'manager': {
        const p = personOf(ctx, a.name ?? a.query);
        const m = ctx.org.manager(p.matrixId);
        text = m ? `${p.name} reports to ${personLine(m)}` : `${p.name} reports to nobody (top of the organisation).`;
        break;
      }
      case 'reports': {
        const p = personOf(ctx, a.name ?? a.query);
        text = listing(`Direct reports of ${p.name}`, ctx.org.reports(p.matrixId), limit);
        break;
      }
      case 'chain': {
        const p = personOf(ctx, a.name ?? a.query);
        const chain = ctx.org.chain(p.matrixId).filter((c: Person) => c.matrixId !== p.matrixId);
        text = chain.length ? `Management chain of ${p.name}, nearest first:\n${chain.map(personLine).join('\n')}` : `${p.name} has no managers.`;
        break;
      }
      case 'list':
        text = summaryByDepartment(ctx.org.all());
        break;
    }
    return { text: capText(text, MAX_CHARS), summary: `people ${a.action}${term ? ` "${term.slice(0, 60)}"` : ''}` };
  },
};
