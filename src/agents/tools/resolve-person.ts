import type { OrgDirectory } from '../../org/directory.ts';
import type { Person } from '../../org/types.ts';

export type PersonLookup = { kind: 'found'; person: Person } | { kind: 'ambiguous'; candidates: Person[] } | { kind: 'unknown' };

/**
 * Finds who a model means by "Morgan Blake", "morgan.blake", "@morgan.blake" or "@morgan.blake:anycompany.corp".
 * Names must match exactly (case-insensitive) or be unique among search results: guessing the wrong colleague is
 * worse than asking the model to be precise.
 */
export function resolvePerson(org: OrgDirectory, ref: string, domain: string): PersonLookup {
  const raw = ref.trim();
  if (!raw) return { kind: 'unknown' };
  // A full id on another server is nobody in this company, whatever its localpart says.
  if (/^@?[^\s:]+:\S+$/.test(raw) && domainOf(raw) !== domain) return { kind: 'unknown' };
  const localpart = raw.replace(/^@/, '').split(':')[0]!.toLowerCase();
  const byId = org.get(raw) ?? org.get(`@${localpart}:${domain}`);
  if (byId) return { kind: 'found', person: byId };
  const hits = org.search(raw);
  const exact = hits.filter((p: Person) => p.name.toLowerCase() === raw.toLowerCase());
  if (exact.length === 1) return { kind: 'found', person: exact[0]! };
  if (exact.length > 1) return { kind: 'ambiguous', candidates: exact };
  if (hits.length === 1) return { kind: 'found', person: hits[0]! };
  if (hits.length > 1) return { kind: 'ambiguous', candidates: hits };
  return { kind: 'unknown' };
}

export function domainOf(matrixId: string): string {
  return matrixId.slice(matrixId.indexOf(':') + 1);
}

/** One compact line per person, the unit every directory answer is made of. */
export function personLine(p: Person): string {
  const where = [p.department, p.team].filter(Boolean).join(' / ');
  return `${p.name} — ${p.title}${where ? ` · ${where}` : ''} · ${p.matrixId}${p.human ? ' (human)' : ''}`;
}
