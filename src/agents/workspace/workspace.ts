import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OrgDirectory } from '../../org/directory.ts';
import type { Person } from '../../org/types.ts';
import { writeFileAtomic } from '../../store/atomic-write.ts';
import { AGENTS_MD, identityMarkdown, SOUL_MD } from './identity-files.ts';
import { searchNotes, type NoteHit } from './notes.ts';
import { resolveInside } from './safe-path.ts';
import { appendTurn, readTranscript, sessionFileName, type Transcript, type TranscriptTurn } from './transcript.ts';

const NOTE_MAX_CHARS = 1000;

/** `@morgan.blake:anycompany.corp` → `morgan.blake`; a directory name that cannot be `.`/`..` or contain `/`. */
export function workspaceDirName(matrixId: string): string {
  const localpart = matrixId.replace(/^@/, '').split(':')[0] ?? '';
  const safe = localpart.toLowerCase().replace(/[^a-z0-9._=-]/g, '_');
  if (!safe || /^\.+$/.test(safe)) throw new Error(`cannot make a workspace directory name from ${JSON.stringify(matrixId)}`);
  return safe;
}

/**
 * Everything one agent owns on disk, under `<dataDir>/agents/<localpart>/`: identity files, per-room session
 * transcripts, MEMORY.md and memory/*.md. Every access goes through resolveInside, so nothing here can touch another
 * agent's directory.
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

  /** Appends one dated line to MEMORY.md (newlines folded, length capped); returns the line written. */
  remember(note: string, now: Date = new Date()): string {
    const text = note.replace(/\s+/g, ' ').trim().slice(0, NOTE_MAX_CHARS);
    if (!text) throw new Error('nothing to remember: the note is empty');
    if (this.read('MEMORY.md') === null) this.write('MEMORY.md', '# Memory\n\n');
    const line = `- ${now.toISOString().slice(0, 10)}: ${text}`;
    this.append('MEMORY.md', `${line}\n`);
    return line;
  }

  /** MEMORY.md and memory/*.md, as (file, text) pairs. */
  notes(): { file: string; text: string }[] {
    const files = ['MEMORY.md', ...this.list('memory').filter((f) => f.endsWith('.md')).map((f) => `memory/${f}`)];
    return files.flatMap((file) => {
      const text = this.read(file);
      return text === null ? [] : [{ file, text }];
    });
  }

  recall(query: string | undefined, maxHits = 12): NoteHit[] {
    return searchNotes(this.notes(), query, maxHits);
  }

  /** The newest part of MEMORY.md, for the system prompt. */
  memoryExcerpt(maxChars: number): string {
    const memory = (this.read('MEMORY.md') ?? '').replace(/^# Memory\s*/, '').trim();
    if (memory.length <= maxChars) return memory;
    const tail = memory.slice(-maxChars);
    return `…${tail.slice(tail.indexOf('\n') + 1)}`;
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
