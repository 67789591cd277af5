// Worker for atomic-write.test.ts: replaces one workspace file many times and checks every read is whole.
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { AgentWorkspace } from '../../../src/agents/workspace/workspace.ts';

const { dataDir, agentId, writer, rounds, size } = workerData as { dataDir: string; agentId: string; writer: number; rounds: number; size: number };

/** `<writer>:<round>|` then one repeated letter, then `|end`: any mix of two writes breaks the pattern. */
function payload(w: number, round: number, bytes: number): string {
  return `${w}:${round}|${String.fromCharCode(97 + ((w + round) % 26)).repeat(bytes)}|end`;
}

function isWhole(text: string): boolean {
  const m = /^(\d+):(\d+)\|([a-z])\3*\|end$/.exec(text);
  return m !== null && text === payload(Number(m[1]), Number(m[2]), text.length - `${m[1]}:${m[2]}|`.length - '|end'.length);
}

const ws = new AgentWorkspace(dataDir, agentId);
let torn = 0;
let error: string | undefined;
try {
  for (let round = 0; round < rounds; round++) {
    ws.write('MEMORY.md', payload(writer, round, size));
    if (!isWhole(readFileSync(ws.path('MEMORY.md'), 'utf8'))) torn++;
  }
} catch (err) {
  error = (err as Error).message;
}
parentPort!.postMessage({ torn, error });
