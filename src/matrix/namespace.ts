/**
 * The registration's user namespace: which user ids the homeserver treats as the appservice's (it pushes their rooms'
 * events to the router, and lets the as_token act as them). Two exact forms, both plain regular expressions that
 * Python's `re` (Synapse) and Rust's `regex` crate (Conduit: no lookaround, no backreferences) read alike:
 *
 * - `list`: the bot and every agent by name. The tightest, but ~20 bytes per agent (10,000 agents ≈ 200 KB: more than
 *   Conduit's admin room takes in one message, and a long alternation Synapse runs per event), and a hire needs
 *   the registration reloaded.
 * - `all-but-humans`: every localpart except the org's humans, as the regular complement of their few localparts
 *   (built on their trie). A few hundred bytes whatever the org's size, and hires are in it already; but the as_token
 *   may then act as any non-human id on the server, and a human the org config does not list is inside it.
 *
 * `auto` takes the list while it fits AUTO_LIST_MAX_BYTES and the complement beyond.
 */

export const NAMESPACE_MODES = ['auto', 'list', 'all-but-humans'] as const;
export type NamespaceMode = (typeof NAMESPACE_MODES)[number];

/**
 * Conduit registers an appservice from one admin-room message of ~64 KB that also carries the rest of the YAML;
 * 48 KB of regex is about 2,400 agents.
 */
export const AUTO_LIST_MAX_BYTES = 48 * 1024;

/** Characters with a meaning in both dialects, escaped outside a class (Rust rejects needless escapes of letters). */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Inside a class only these are special (both dialects accept them escaped). */
const escapeInClass = (c: string): string => (/[\]\\^\-[]/.test(c) ? `\\${c}` : c);

/** Any character a localpart can hold: everything up to the `:` that starts the server name. */
const ANY = '[^:]';

export function listNamespace(domain: string, localparts: readonly string[]): string {
  if (localparts.length === 0) throw new Error('the user namespace needs at least the bot');
  const alternatives = [...new Set(localparts)].sort().map(escapeRegex).join('|');
  return `^@(?:${alternatives}):${escapeRegex(domain)}$`;
}

interface TrieNode {
  terminal: boolean;
  children: Map<string, TrieNode>;
}

function trieOf(words: readonly string[]): TrieNode {
  const root: TrieNode = { terminal: false, children: new Map() };
  for (const word of words) {
    let node = root;
    for (const c of word) {
      let next = node.children.get(c);
      if (!next) node.children.set(c, (next = { terminal: false, children: new Map() }));
      node = next;
    }
    node.terminal = true;
  }
  return root;
}

/**
 * What may follow the prefix that leads to `node` so that the whole is not one of the words: nothing (unless the
 * prefix is a word itself), a character that leaves the trie followed by anything, or a child's own complement.
 */
function complementOf(node: TrieNode, allowEmpty: boolean): string {
  const branches: string[] = [];
  const chars = [...node.children.keys()].sort();
  branches.push(chars.length ? `[^:${chars.map(escapeInClass).join('')}]${ANY}*` : `${ANY}+`);
  for (const c of chars) branches.push(escapeRegex(c) + complementOf(node.children.get(c)!, true));
  if (allowEmpty && !node.terminal) return `(?:${branches.join('|')})?`;
  return branches.length === 1 ? branches[0]! : `(?:${branches.join('|')})`;
}

/**
 * Every non-empty localpart on `domain` except `humans` (exact, case-sensitive, as Matrix ids are compared). Without
 * humans it is simply every localpart.
 */
export function allButNamespace(domain: string, humans: readonly string[]): string {
  if (humans.some((h) => h.length === 0 || h.includes(':'))) throw new Error('a human localpart is empty or holds ":"');
  return `^@${complementOf(trieOf([...new Set(humans)]), false)}:${escapeRegex(domain)}$`;
}

/** The namespace for a mode: `agents` should include the bot; `humans` are the org's human localparts. */
export function userNamespaceFor(mode: NamespaceMode, domain: string, agents: readonly string[], humans: readonly string[]): string {
  if (mode === 'all-but-humans') return allButNamespace(domain, humans);
  const list = listNamespace(domain, agents);
  if (mode === 'list' || Buffer.byteLength(list) <= AUTO_LIST_MAX_BYTES) return list;
  return allButNamespace(domain, humans);
}
