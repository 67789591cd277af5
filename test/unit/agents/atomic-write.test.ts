import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { appendTurn, readTranscript, type TranscriptTurn } from '../../../src/agents/workspace/transcript.ts';
import { AgentWorkspace } from '../../../src/agents/workspace/workspace.ts';
import { writeFileAtomic } from '../../../src/store/atomic-write.ts';
import { tempDataDir } from './helpers.ts';

const AGENT = '@lee.chen:anycompany.corp';

function runWriter(dataDir: string, writer: number): Promise<{ torn: number; error?: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./atomic-writer.worker.ts', import.meta.url), {
      workerData: { dataDir, agentId: AGENT, writer, rounds: 40, size: 200_000 },
    });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

describe('atomic writes', () => {
  // Worker threads share the pid, like two ECS tasks that are both pid 1 on one EFS directory.
  it('concurrent writers of one workspace file never leave a torn file or a temp file behind', async () => {
    const dataDir = tempDataDir();
    const results = await Promise.all([0, 1, 2, 3].map((w) => runWriter(dataDir, w)));
    expect(results).toEqual([0, 1, 2, 3].map(() => ({ torn: 0 })));
    const ws = new AgentWorkspace(dataDir, AGENT);
    expect(readFileSync(ws.path('MEMORY.md'), 'utf8')).toMatch(/^\d:39\|([a-z])\1{199999}\|end$/);
    expect(readdirSync(ws.dir).filter((f) => f.includes('tmp'))).toEqual([]);
  }, 60_000);

  it('a transcript rewrite goes through a unique temp file and leaves none behind', () => {
    const dir = tempDataDir();
    const file = path.join(dir, 'room.jsonl');
    writeFileSync(`${file}.tmp`, 'somebody else is writing here');
    const t = readTranscript(file);
    const turn = (i: number): TranscriptTurn => ({ at: '2026-11-23T00:00:00.000Z', eventId: `$e${i}`, sender: { id: '@a:x', name: 'A', human: true }, text: `m${i}`, reply: null });
    for (let i = 0; i < 12; i++) appendTurn(file, t, turn(i), 5);
    expect(readTranscript(file).turns.at(-1)?.text).toBe('m11');
    expect(readFileSync(`${file}.tmp`, 'utf8')).toBe('somebody else is writing here');
    expect(readdirSync(dir).sort()).toEqual(['room.jsonl', 'room.jsonl.tmp']);
  });

  it('creates the file with the mode asked for (secrets: 0600)', () => {
    const file = path.join(tempDataDir(), 'secret');
    writeFileAtomic(file, 's3cret', { mode: 0o600 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('s3cret');
  });

  it('cleans up its temp file when the rename fails', () => {
    const dir = tempDataDir();
    new AgentWorkspace(dir, AGENT); // dir/agents: a non-empty directory, which no rename can replace with a file
    expect(() => writeFileAtomic(path.join(dir, 'agents'), 'x')).toThrow();
    expect(readdirSync(dir)).toEqual(['agents']);
  });
});
