/**
 * Alias slugs for department and team names: "Demand Gen" -> "demand-gen", "FP&A" -> "fpa",
 * "Research & Development" -> "research-and-development", "Café Ops" -> "cafe-ops".
 */
export function slugify(name: string): string {
  return name
    .normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+&\s+/g, ' and ') // a spaced ampersand reads as a word
    .replace(/['’&]/g, '') // an unspaced one ("FP&A", "R&D") and apostrophes join the letters
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'unnamed';
}

export interface TeamKey {
  department: string;
  team: string;
}

/**
 * `<team>-team`, or `<dept>-<team>-team` for every team whose slug another department's team shares (Platform in
 * Engineering and in Product). All namesakes get the prefix, so the result does not depend on directory order.
 */
export function teamAliasLocalparts(teams: readonly TeamKey[]): Map<string, string> {
  const bySlug = new Map<string, Set<string>>();
  for (const t of teams) {
    const slug = slugify(t.team);
    bySlug.set(slug, (bySlug.get(slug) ?? new Set()).add(slugify(t.department)));
  }
  const out = new Map<string, string>();
  for (const t of teams) {
    const slug = slugify(t.team);
    const shared = bySlug.get(slug)!.size > 1;
    out.set(teamKey(t), shared ? `${slugify(t.department)}-${slug}-team` : `${slug}-team`);
  }
  return out;
}

export const teamKey = (t: TeamKey): string => `${t.department}\u0000${t.team}`;
