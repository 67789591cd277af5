export interface NoteHit { file: string; text: string }

const STOP_WORDS = new Set(['the', 'a', 'an', 'of', 'to', 'and', 'or', 'is', 'are', 'what', 'who', 'my', 'about', 'for', 'in', 'on', 'me', 'i', 'do', 'did', 'we']);

function words(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}@.:_-]+/u).filter((w) => w.length > 1 && !STOP_WORDS.has(w));
}

/** Bullet lines and paragraphs: the unit a note is written in. Headings are dropped. */
export function markdownEntries(text: string): string[] {
  const out: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim() && !/^#+\s/.test(l));
    if (lines.length && lines.every((l) => /^\s*[-*]\s/.test(l) || /^\s{2,}/.test(l))) out.push(...lines.filter((l) => /^\s*[-*]\s/.test(l)));
    else if (lines.length) out.push(lines.join(' '));
  }
  return out.map((e) => e.trim());
}

/**
 * Keyword search over note entries, given oldest first: ranked by how many query words they contain (newest first on
 * ties). Without a query, the newest entries. Plain and predictable, which is what a model needs to trust it.
 */
export function searchNotes(all: NoteHit[], query: string | undefined, maxHits: number): NoteHit[] {
  const q = words(query ?? '');
  if (!q.length) return all.slice(-maxHits);
  return all
    .map((e, idx) => {
      const hay = e.text.toLowerCase();
      return { e, idx, score: q.filter((w) => hay.includes(w)).length };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || b.idx - a.idx)
    .slice(0, maxHits)
    .map(({ e }) => ({ file: e.file, text: e.text }));
}
