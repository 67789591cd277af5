import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveInside, WorkspacePathError } from '../../../src/agents/workspace/safe-path.ts';
import { appendTurn, readTranscript, sessionFileName, type TranscriptTurn } from '../../../src/agents/workspace/transcript.ts';
import { AgentWorkspace, workspaceDirName } from '../../../src/agents/workspace/workspace.ts';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'ws-'));
});

describe('resolveInside', () => {
  it.each([
    '../other/MEMORY.md',
    'memory/../../other/MEMORY.md',
    '..',
    'a/../../x',
    '/etc/passwd',
    'C:\\Windows\\win.ini',
    '..\\..\\x',
    'mem\0ory.md',
    '',
  ])('refuses %j', (p) => {
    const ws = new AgentWorkspace(dataDir, '@lee.chen:anycompany.corp');
    expect(() => ws.path(p)).toThrow(WorkspacePathError);
  });

  it('accepts paths inside the directory', () => {
    const ws = new AgentWorkspace(dataDir, '@lee.chen:anycompany.corp');
    expect(ws.path('memory/notes.md')).toBe(path.join(ws.dir, 'memory', 'notes.md'));
    expect(ws.path('./MEMORY.md')).toBe(path.join(ws.dir, 'MEMORY.md'));
  });

  it('refuses symlinks that point outside, including dangling ones and linked directories', () => {
    const ws = new AgentWorkspace(dataDir, '@lee.chen:anycompany.corp');
    const other = new AgentWorkspace(dataDir, '@sam.okafor:anycompany.corp');
    writeFileSync(path.join(other.dir, 'MEMORY.md'), 'secret');
    symlinkSync(path.join(other.dir, 'MEMORY.md'), path.join(ws.dir, 'memory', 'stolen.md'));
    symlinkSync(other.dir, path.join(ws.dir, 'linked'));
    symlinkSync(path.join(other.dir, 'does-not-exist.md'), path.join(ws.dir, 'memory', 'dangling.md'));
    expect(() => ws.read('memory/stolen.md')).toThrow(WorkspacePathError);
    expect(() => ws.write('linked/MEMORY.md', 'overwritten')).toThrow(WorkspacePathError);
    expect(() => ws.append('memory/dangling.md', 'x')).toThrow(WorkspacePathError);
    expect(readFileSync(path.join(other.dir, 'MEMORY.md'), 'utf8')).toBe('secret');
    expect(readdirSync(other.dir)).not.toContain('does-not-exist.md');
  });

  it('allows a symlink that stays inside', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ws-in-'));
    mkdirSync(path.join(root, 'real'));
    symlinkSync(path.join(root, 'real'), path.join(root, 'alias'));
    expect(resolveInside(root, 'alias/x.md')).toBe(path.join(root, 'alias', 'x.md'));
  });
});

describe('AgentWorkspace', () => {
  it('names directories by localpart and refuses names that could traverse', () => {
    expect(workspaceDirName('@morgan.blake:anycompany.corp')).toBe('morgan.blake');
    expect(workspaceDirName('@a/b:anycompany.corp')).toBe('a_b');
    expect(() => workspaceDirName('@..:anycompany.corp')).toThrow();
  });

  it('keeps each agent to its own directory', () => {
    const a = new AgentWorkspace(dataDir, '@lee.chen:anycompany.corp');
    const b = new AgentWorkspace(dataDir, '@sam.okafor:anycompany.corp');
    a.remember('the deploy freeze starts Friday');
    a.recordTurn('!room:anycompany.corp', turn(1), 5);
    expect(b.read('MEMORY.md')).toBeNull();
    expect(b.list('sessions')).toEqual([]);
    expect(readdirSync(path.join(dataDir, 'agents')).sort()).toEqual(['lee.chen', 'sam.okafor']);
  });

  it('remembers dated single-line notes and finds them by keyword across MEMORY.md and memory/*.md', () => {
    const ws = new AgentWorkspace(dataDir, '@lee.chen:anycompany.corp');
    ws.remember('Wifi password\nis hunter2', new Date('2026-11-20T10:00:00Z'));
    ws.remember('Budget review moved to Tuesday', new Date('2026-11-21T10:00:00Z'));
    ws.write('memory/projects.md', '# Projects\n\n- Apollo ships in Q1\n- Wifi upgrade in building B\n');
    expect(ws.read('MEMORY.md')).toContain('- 2026-11-20: Wifi password is hunter2\n');
    const hits = ws.recall('wifi password');
    expect(hits[0]).toEqual({ file: 'MEMORY.md', text: '- 2026-11-20: Wifi password is hunter2' });
    expect(hits.map((h) => h.file)).toContain('memory/projects.md');
    expect(ws.recall('nothing-like-this')).toEqual([]);
    expect(ws.recall(undefined).at(-1)?.text).toBe('- Wifi upgrade in building B');
  });
});

function turn(n: number): TranscriptTurn {
  return { at: '2026-11-23T00:00:00.000Z', eventId: `$e${n}`, sender: { id: '@morgan.blake:anycompany.corp', name: 'Morgan Blake', human: true }, text: `message ${n}`, reply: `reply ${n}` };
}

describe('transcripts', () => {
  it('uses file names that cannot traverse and do not collide', () => {
    expect(sessionFileName('!../../etc:x')).not.toContain('/');
    expect(sessionFileName('!a:b')).not.toBe(sessionFileName('!a_b'));
  });

  it('stays bounded: older turns are condensed into a summary', () => {
    const file = path.join(dataDir, 't.jsonl');
    const t = readTranscript(file);
    for (let i = 1; i <= 23; i++) appendTurn(file, t, turn(i), 5);
    const back = readTranscript(file);
    expect(back.turns.length).toBeLessThanOrEqual(10);
    expect(back.turns.at(-1)?.text).toBe('message 23');
    expect(back.summary).toContain('message 1');
    expect(back).toEqual(t);
  });

  it('survives a torn last line', () => {
    const file = path.join(dataDir, 't.jsonl');
    const t = readTranscript(file);
    appendTurn(file, t, turn(1), 5);
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"kind":"turn","at":`);
    expect(readTranscript(file).turns.map((x) => x.text)).toEqual(['message 1']);
  });
});
