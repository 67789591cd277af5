/**
 * Legacy mention detection by name in the message text, for clients that predate intentional mentions (MSC3952).
 * Matching is substring search plus hand-rolled word-boundary checks, so no regex is compiled per name per event.
 *
 * In a room of a thousand agents the text is checked against every agent member, and a plain indexOf per name costs
 * more than everything else on the event path. So the text is split into its words once, and a name is searched only
 * when all of its words occur in the text: a whole-word match implies that, and a Set lookup is far cheaper than a
 * substring search. Lower-cased names and their words are cached per user id / display name (both immutable keys).
 */

const NON_ASCII_WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

function isWordChar(code: number): boolean {
  if (code < 0x80) {
    return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f;
  }
  return NON_ASCII_WORD_CHAR.test(String.fromCharCode(code));
}

/** Characters that join the parts of a localpart (`aaron.phillips`, `ops-bot`, `a=b`, `x/y`, `a+b`). */
function isLocalpartJoiner(code: number): boolean {
  return code === 0x2e || code === 0x2d || code === 0x3d || code === 0x2f || code === 0x2b;
}

/**
 * True when nothing glues on after `index`: end of text, punctuation or space. A joiner followed by a word character
 * means a longer name continues ("aaron.phillips.jr"), but a sentence-ending "." does not.
 */
function endsCleanly(text: string, index: number): boolean {
  if (index >= text.length) return true;
  const code = text.charCodeAt(index);
  if (isWordChar(code)) return false;
  if (isLocalpartJoiner(code)) return !isWordChar(text.charCodeAt(index + 1));
  return true;
}

/** "Aaron Phillips" as whole words, e.g. "hi aaron phillips," or "@aaron phillips:" but not "aaron phillipson". */
export function mentionsDisplayName(lowerText: string, lowerName: string): boolean {
  if (lowerName.length === 0) return false;
  for (let at = lowerText.indexOf(lowerName); at !== -1; at = lowerText.indexOf(lowerName, at + 1)) {
    const before = at === 0 ? -1 : lowerText.charCodeAt(at - 1);
    if (before !== -1 && isWordChar(before)) continue;
    const after = at + lowerName.length;
    if (after < lowerText.length && isWordChar(lowerText.charCodeAt(after))) continue;
    return true;
  }
  return false;
}

/**
 * "aaron.phillips", "@aaron.phillips" or "@aaron.phillips:anycompany.corp" as a whole token. A localpart followed by
 * another domain ("aaron.phillips:elsewhere.org") is a different user; followed by ": " it is IRC-style addressing.
 */
export function mentionsUserId(lowerText: string, lowerLocalpart: string, lowerDomain: string): boolean {
  if (lowerLocalpart.length === 0) return false;
  for (let at = lowerText.indexOf(lowerLocalpart); at !== -1; at = lowerText.indexOf(lowerLocalpart, at + 1)) {
    if (at > 0) {
      const before = lowerText.charCodeAt(at - 1);
      if (isWordChar(before) || isLocalpartJoiner(before)) continue;
    }
    const after = at + lowerLocalpart.length;
    if (lowerText.charCodeAt(after) === 0x3a /* : */ && isWordChar(lowerText.charCodeAt(after + 1))) {
      const domainAt = after + 1;
      if (lowerText.startsWith(lowerDomain, domainAt) && endsCleanly(lowerText, domainAt + lowerDomain.length)) return true;
      continue;
    }
    if (endsCleanly(lowerText, after)) return true;
  }
  return false;
}

interface Needle {
  readonly lower: string;
  readonly words: readonly string[];
}

interface UserIdNeedle extends Needle {
  readonly domain: string;
}

/** Fleet-sized caches; cleared wholesale when they outgrow that, which only costs recomputation. */
const MAX_CACHED = 50_000;
const userIdNeedles = new Map<string, UserIdNeedle | null>();
const displayNameNeedles = new Map<string, Needle>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, value);
  return value;
}

/** The maximal runs of word characters, the same notion of "word" the boundary checks use. */
function wordsOf(lowerText: string): string[] {
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i <= lowerText.length; i++) {
    const inWord = i < lowerText.length && isWordChar(lowerText.charCodeAt(i));
    if (inWord && start === -1) start = i;
    else if (!inWord && start !== -1) {
      words.push(lowerText.slice(start, i));
      start = -1;
    }
  }
  return words;
}

function userIdNeedle(userId: string): UserIdNeedle | null {
  const cached = userIdNeedles.get(userId);
  if (cached !== undefined) return cached;
  const colon = userId.indexOf(':');
  if (userId.charCodeAt(0) !== 0x40 /* @ */ || colon < 2) return remember(userIdNeedles, userId, null);
  const lower = userId.slice(1, colon).toLowerCase();
  return remember(userIdNeedles, userId, { lower, words: wordsOf(lower), domain: userId.slice(colon + 1).toLowerCase() });
}

function displayNameNeedle(displayName: string): Needle {
  const cached = displayNameNeedles.get(displayName);
  if (cached !== undefined) return cached;
  const lower = displayName.trim().toLowerCase();
  return remember(displayNameNeedles, displayName, { lower, words: wordsOf(lower) });
}

function allWordsIn(textWords: ReadonlySet<string>, needle: Needle): boolean {
  for (const word of needle.words) if (!textWords.has(word)) return false;
  return true;
}

/** One message body, prepared once and then asked about each candidate agent. */
export class LegacyMentionText {
  private readonly lower: string;
  private readonly words: ReadonlySet<string>;

  constructor(text: string) {
    this.lower = text.toLowerCase();
    this.words = new Set(wordsOf(this.lower));
  }

  /** Named by localpart, @localpart, full user id, or display name. */
  mentions(userId: string, displayName: string | undefined): boolean {
    const id = userIdNeedle(userId);
    if (id !== null && allWordsIn(this.words, id) && mentionsUserId(this.lower, id.lower, id.domain)) return true;
    if (typeof displayName !== 'string') return false;
    const name = displayNameNeedle(displayName);
    return allWordsIn(this.words, name) && mentionsDisplayName(this.lower, name.lower);
  }
}
