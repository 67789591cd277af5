import type { ProvisionProgress } from './progress.ts';

/** Where provisioning stands in this process: what `./fleet up` shows on the console and the dashboard overview. */
export interface ProvisioningStatus {
  state: 'idle' | 'running' | 'done' | 'failed';
  done: number;
  total: number;
  /** The last finished step: register, profile, room, join, … */
  step: string;
  startedAt?: number;
  finishedAt?: number;
  /** The run's summary once it ended (counts, failed steps). */
  summary?: string;
}

/**
 * One record per process, not per call: `up` runs one provisioning at a time (at start, then on `reload confirm`),
 * and the dashboard in the same process reads it without being handed a reference through the command center.
 */
let current: ProvisioningStatus = { state: 'idle', done: 0, total: 0, step: '' };

export function provisioningStatus(): ProvisioningStatus {
  return { ...current };
}

/** Tracks one run: start, then every step, then how it ended. */
export function trackProvisioning(now: () => number = Date.now) {
  current = { state: 'running', done: 0, total: 0, step: '', startedAt: now() };
  return {
    onProgress(p: ProvisionProgress): void {
      current = { ...current, done: p.done, total: p.total, step: p.step };
    },
    finished(summary: string, failed: boolean): void {
      current = { ...current, state: failed ? 'failed' : 'done', finishedAt: now(), summary };
    },
  };
}

/** "provisioning 1234/5298 steps (23 %), last: join, 41 s" for the console and the dashboard. */
export function describeProvisioning(s: ProvisioningStatus, now: number = Date.now()): string {
  const elapsed = s.startedAt === undefined ? '' : `${Math.round(((s.finishedAt ?? now) - s.startedAt) / 1000)} s`;
  if (s.state === 'idle') return 'provisioning: not run by this process';
  if (s.state !== 'running') return `provisioning ${s.state === 'done' ? 'finished' : 'ended with failures'} in ${elapsed}: ${s.summary ?? ''}`.trim();
  const pct = s.total > 0 ? ` (${Math.floor((100 * s.done) / s.total)} %)` : '';
  return `provisioning in the background: ${s.done}/${s.total} steps${pct}${s.step ? `, last: ${s.step}` : ''}, ${elapsed}`;
}
