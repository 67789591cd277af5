import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OrgDirectory } from '../../org/directory.ts';
import type { Person } from '../../org/types.ts';
import { writeFileAtomic } from '../../store/atomic-write.ts';
import { AGENTS_MD, identityMarkdown, SOUL_MD } from './identity-files.ts';
import { quoted } from '../speaker-line.ts';
import { makeNote, noteLine, noteRecord, parseNotes, unattributedLine, visibleIn, type NoteSource, type RememberedNote } from './memory.ts';
import { markdownEntries, searchNotes, type NoteHit } from './notes.ts';
import { resolveInside } from './safe-path.ts';
import { appendTurn, readTranscript, sessionFileName, type Transcript, type TranscriptTurn } from './transcript.ts';

/** What `remember` writes: one JSON line per note, with its source (MEMORY.md stays the operator's). */
const NOTES_FILE = 'memory/notes.jsonl';

/** `@morgan.blake:anycompany.corp` → `morgan.blake`; a directory name that cannot be `.`/`..` or contain `/`. */
export function workspaceDirName(matrixId: string): string {
  const localpart = matrixId.replace(/^@/, '').split(':')[0] ?? '';
  const safe = localpart.toLowerCase().replace(/[^a-z0-9._=-]/g, '_');
  if (!safe || /^\.+$/.test(safe)) throw new Error(`cannot make a workspace directory name from ${JSON.stringify(matrixId)}`);
  return safe;
}

/**
 * Everything one agent owns on disk, under `<dataDir>/agents/<localpart>/`: identity files, per-room session
 * transcripts, remembered notes (memory/notes.jsonl), MEMORY.md and memory/*.md. Every access goes through
 * resolveInside, so nothing here can touch another agent's directory.
 */
export class AgentWorkspace {
  readonly dir: string;
  readonly #transcripts = new Map<string, Transcript>();

  constructor(dataDir: string, matrixId: string) {
    const agentsDir = path.resolve(dataDir, 'agents');
    this.dir = path.join(agentsDir, workspaceDirName(matrixId));
    mkdirSync(path.join(this.dir, 'memory'), { recursive: true });
    mkdirSync(path.join(this.dir, 'sessions'), { recursive: true });
  }

  path(rel: string): string {
    return resolveInside(this.dir, rel);
  }

  read(rel: string): string | null {
    try {
      return readFileSync(this.path(rel), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Atomic replace, so a crash never leaves a half-written identity or memory file. */
  write(rel: string, text: string): void {
    const file = this.path(rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, text);
  }

  append(rel: string, text: string): void {
    const file = this.path(rel);
    mkdirSync(path.dirname(file), { recursive: true });
    appendFileSync(file, text);
  }

  /** Files (not directories) directly in `relDir`, sorted. */
  list(relDir: string): string[] {
    try {
      return readdirSync(this.path(relDir), { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /**
   * Writes IDENTITY.md when the org says something new, and SOUL.md / AGENTS.md when missing (they are the
   * operator's to edit). Returns true when anything was written.
   */
  syncIdentity(person: Person, org: OrgDirectory): boolean {
    let changed = false;
    const identity = identityMarkdown(person, org);
    if (this.read('IDENTITY.md') !== identity) {
      this.write('IDENTITY.md', identity);
      changed = true;
    }
    for (const [file, text] of [['SOUL.md', SOUL_MD], ['AGENTS.md', AGENTS_MD]] as const) {
      if (this.read(file) === null) {
        this.write(file, text);
        changed = true;
      }
    }
    return changed;
  }

  /** Keeps what someone said, with its source; memory.ts decides in which rooms it may come back. */
  remember(note: string, source: NoteSource, now: Date = new Date()): RememberedNote {
    const made = makeNote(note, source, now);
    this.append(NOTES_FILE, noteRecord(made));
    return made;
  }

  /** Remembered notes this agent may use in `roomId`, oldest first. */
  notesFor(roomId: string): RememberedNote[] {
    return parseNotes(this.read(NOTES_FILE) ?? '').filter((n) => visibleIn(n, roomId));
  }

  /**
   * Everything recall may show in `roomId`, oldest first and already quoted with its source: MEMORY.md and
   * memory/*.md (an operator's files, seen in every room), then the remembered notes visible in that room.
   */
  #recallable(roomId: string): NoteHit[] {
    const files = ['MEMORY.md', ...this.list('memory').filter((f) => f.endsWith('.md')).map((f) => `memory/${f}`)];
    const fromFiles = files.flatMap((file) => markdownEntries(this.read(file) ?? '').map((text) => ({
      file,
      text: file === 'MEMORY.md' ? unattributedLine(text) : `- from ${file}: ${quoted(text.replace(/^\s*[-*]\s+/, ''))}`,
    })));
    return [...fromFiles, ...this.notesFor(roomId).map((n) => ({ file: NOTES_FILE, text: noteLine(n, roomId) }))];
  }

  recall(query: string | undefined, roomId: string, maxHits = 12): NoteHit[] {
    return searchNotes(this.#recallable(roomId), query, maxHits);
  }

  /** The newest notes visible in `roomId` that fit in `maxChars`, for the system prompt; '' when there are none. */
  memoryExcerpt(roomId: string, maxChars: number): string {
    const lines = [
      ...markdownEntries(this.read('MEMORY.md') ?? '').map(unattributedLine),
      ...this.notesFor(roomId).map((n) => noteLine(n, roomId)),
    ];
    const kept: string[] = [];
    let used = 0;
    for (let i = lines.length - 1; i >= 0; i--) {
      used += lines[i]!.length + 1;
      if (used > maxChars) break;
      kept.unshift(lines[i]!);
    }
    if (kept.length < lines.length) kept.unshift(`… ${lines.length - kept.length} older notes (use recall)`);
    return kept.join('\n');
  }

  transcript(roomId: string): Transcript {
    let t = this.#transcripts.get(roomId);
    if (!t) {
      t = readTranscript(this.path(`sessions/${sessionFileName(roomId)}`));
      this.#transcripts.set(roomId, t);
    }
    return t;
  }

  recordTurn(roomId: string, turn: TranscriptTurn, keepTurns: number): void {
    appendTurn(this.path(`sessions/${sessionFileName(roomId)}`), this.transcript(roomId), turn, keepTurns);
  }
}
