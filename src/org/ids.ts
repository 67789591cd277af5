/** Matrix user ids for directory people: `@localpart:domain`, localparts restricted to the lower-case grammar. */

const LOCALPART = /^[a-z0-9._=\/+-]+$/;
const SERVER_NAME = /^[a-z0-9.-]+(:\d{1,5})?$/i;

export function isValidLocalpart(localpart: string): boolean {
  return LOCALPART.test(localpart);
}

export function isValidServerName(domain: string): boolean {
  return SERVER_NAME.test(domain);
}

export function matrixIdOf(localpart: string, domain: string): string {
  return `@${localpart}:${domain}`;
}

/** Splits `@lp:server` (the server may carry a port); undefined when the shape is wrong. */
export function parseMatrixId(id: string): { localpart: string; domain: string } | undefined {
  if (!id.startsWith('@')) return undefined;
  const colon = id.indexOf(':');
  if (colon < 2 || colon === id.length - 1) return undefined;
  return { localpart: id.slice(1, colon), domain: id.slice(colon + 1) };
}

/**
 * "José O'Brien" -> "jose.obrien". Accents are folded rather than dropped so that ids stay readable; anything
 * else that Matrix would reject joins words with a dot.
 */
export function localpartFromName(name: string): string {
  const folded = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  return folded
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, '.')
    .replace(/^\.+|\.+$/g, '');
}

/** Hands out localparts, suffixing 2, 3 … when one is taken, so that namesakes stay distinguishable. */
export class LocalpartAllocator {
  readonly #taken = new Set<string>();

  claim(base: string): string {
    let candidate = base;
    for (let n = 2; this.#taken.has(candidate); n++) candidate = `${base}${n}`;
    this.#taken.add(candidate);
    return candidate;
  }
}
