import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';

const STOP_GRACE_MS = 15_000;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie answers signal 0 but is gone for every purpose here.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** `signal` (SIGTERM) to the process group, SIGKILL after the grace period; resolves once the leader is gone. */
export async function killGroup(pid: number, first: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signal(first);
  for (const deadline = Date.now() + STOP_GRACE_MS; Date.now() < deadline; await sleep(100)) {
    if (!isAlive(pid)) return;
  }
  signal('SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
}
