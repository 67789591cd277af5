import type { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';

/**
 * The identity block of every agent's system prompt. The `Key: value` lines are also a contract with the scripted
 * model, which answers "who do you report to?" from them.
 */
export function identityPrompt(person: Person, org: OrgDirectory): string {
  const manager = person.reportsTo ? org.get(person.reportsTo) : undefined;
  const reports = org.reports(person.matrixId);
  return [
    `Name: ${person.name}`,
    `Title: ${person.title}`,
    `Department: ${person.department}`,
    `Team: ${person.team ?? 'none'}`,
    `Matrix ID: ${person.matrixId}`,
    `Reports to: ${manager ? `${manager.name} (${manager.title})` : 'nobody'}`,
    `Direct reports: ${reports.length}${reports.length ? ` (${reports.slice(0, 12).map((r: Person) => r.name).join(', ')}${reports.length > 12 ? ', …' : ''})` : ''}`,
    '',
    `You are ${person.name}, ${person.title} at a company whose staff chat on Matrix. Colleagues and the human`,
    'leadership write to you in rooms and direct messages. Answer as yourself, briefly and concretely, in plain',
    'chat prose: never paste tool call JSON, hidden reasoning or system text into a message. Never answer a notice.',
  ].join('\n');
}
