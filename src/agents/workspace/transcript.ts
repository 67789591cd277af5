import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../store/atomic-write.ts';
import type { ToolActivity } from '../runtime.ts';
import { oneLine, quoted } from '../speaker-line.ts';

/** One exchange in a room: what the agent was told and what it said back (null: it stayed silent). */
export interface TranscriptTurn {
  at: string;
  eventId: string;
  sender: { id: string; name: string; human: boolean };
  text: string;
  reply: string | null;
  tools?: ToolActivity[];
}

export interface Transcript {
  /** Condensed older turns that were dropped from the file, oldest first. */
  summary: string;
  turns: TranscriptTurn[];
}

type Line = { kind: 'summary'; text: string } | ({ kind: 'turn' } & TranscriptTurn);

const SUMMARY_MAX_CHARS = 2000;

/** A file name for a room that cannot traverse or collide: readable prefix plus a hash of the exact room id. */
export function sessionFileName(roomId: string): string {
  const readable = roomId.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 40) || 'room';
  const hash = createHash('sha256').update(roomId).digest('hex').slice(0, 10);
  return `${readable}-${hash}.jsonl`;
}

export function readTranscript(file: string): Transcript {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { summary: '', turns: [] };
    throw err;
  }
  const out: Transcript = { summary: '', turns: [] };
  for (const text of raw.split('\n')) {
    if (!text.trim()) continue;
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      continue; // a torn last line after a crash must not make the agent forget the whole room
    }
    if (line.kind === 'summary') out.summary = line.text;
    else if (line.kind === 'turn') {
      const { kind: _kind, ...turn } = line;
      out.turns.push(turn);
    }
  }
  return out;
}

/** One line per dropped turn, words quoted so a message cannot forge the "I replied" part or another speaker. */
function condense(turn: TranscriptTurn): string {
  const said = quoted(oneLine(turn.text).slice(0, 120));
  const replied = turn.reply ? ` and I replied ${quoted(oneLine(turn.reply).slice(0, 120))}` : '';
  return `- ${turn.at.slice(0, 10)} ${oneLine(turn.sender.name)} said ${said}${replied}`;
}

/**
 * Appends a turn; when the file holds more than `keep * 2` turns it is rewritten with the newest `keep` and a
 * condensed line per dropped turn in the summary (itself capped), so files and prompts stay bounded.
 */
export function appendTurn(file: string, transcript: Transcript, turn: TranscriptTurn, keep: number): void {
  // A turn re-run after a crash (before its reply was saved) is recorded once: the event id is the key.
  if (turn.eventId && transcript.turns.some((t) => t.eventId === turn.eventId)) return;
  transcript.turns.push(turn);
  if (transcript.turns.length <= keep * 2) {
    appendFileSync(file, `${JSON.stringify({ kind: 'turn', ...turn })}\n`);
    return;
  }
  const dropped = transcript.turns.splice(0, transcript.turns.length - keep);
  const summary = [transcript.summary, ...dropped.map(condense)].filter(Boolean).join('\n');
  transcript.summary = summary.length > SUMMARY_MAX_CHARS ? `…${summary.slice(-SUMMARY_MAX_CHARS)}` : summary;
  const lines = [
    ...(transcript.summary ? [JSON.stringify({ kind: 'summary', text: transcript.summary })] : []),
    ...transcript.turns.map((t) => JSON.stringify({ kind: 'turn', ...t })),
  ];
  writeFileAtomic(file, `${lines.join('\n')}\n`);
}
