import type { OrgDirectory } from '../org/directory.ts';
import type { Person } from '../org/types.ts';

export type Resolved = { people: Person[]; label: string } | { error: string };

/**
 * One person from a name, localpart or matrix id; a search when that finds nobody exactly. Several matches are an
 * error that lists them, so an operator never pauses the wrong namesake.
 */
export function resolvePerson(org: OrgDirectory, ref: string): Resolved {
  const exact = org.resolve(ref);
  if (exact) return { people: [exact], label: exact.name };
  const named = org.findByName(ref);
  const found = named.length > 0 ? named : org.search(ref, 6);
  if (found.length === 1) return { people: found, label: found[0]!.name };
  if (found.length === 0) return { error: `Nobody matches "${ref}"; try "who ${ref}".` };
  return { error: `"${ref}" is ambiguous: ${found.slice(0, 5).map((p) => `${p.name} (${p.matrixId})`).join(', ')}${found.length > 5 ? ', …' : ''}. Use the matrix id.` };
}

/** `all`, a department, or one person: the agents among them. */
export function resolveAgents(org: OrgDirectory, ref: string): Resolved {
  if (ref.toLowerCase() === 'all') return { people: org.agents(), label: 'every agent' };
  const department = org.department(ref).filter((p) => !p.human);
  if (department.length > 0) return { people: department, label: `${department[0]!.department} (${department.length} agents)` };
  const one = resolvePerson(org, ref);
  if ('error' in one) return one;
  if (one.people[0]!.human) return { error: `${one.label} is human: no agent to act on.` };
  return one;
}
