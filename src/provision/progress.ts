import cliProgress from 'cli-progress';
import { componentLogger } from '../log.ts';

const log = componentLogger('provision');

export interface ProvisionProgress {
  done: number;
  total: number;
  /** What the last finished step was: register, profile, room, state, join, invite, leave, … */
  step: string;
}

export type ProgressMode = 'auto' | 'bar' | 'log' | 'none';

export interface ProgressReporter {
  addTotal(n: number): void;
  tick(step: string): void;
  stop(): void;
}

/** A bar on an interactive terminal, a log line every few seconds otherwise (CI, `up`, tests). */
export function progressReporter(mode: ProgressMode, onProgress?: (p: ProvisionProgress) => void, logEveryMs = 2000): ProgressReporter {
  const useBar = mode === 'bar' || (mode === 'auto' && process.stdout.isTTY === true);
  const useLog = mode === 'log' || (mode === 'auto' && !useBar);
  let done = 0;
  let total = 0;
  let lastStep = '';
  let bar: cliProgress.SingleBar | undefined;
  const timer = useLog ? setInterval(() => log.info({ done, total, step: lastStep }, 'provisioning progress'), logEveryMs) : undefined;
  timer?.unref();
  return {
    addTotal(n) {
      if (n <= 0) return;
      total += n;
      if (useBar && !bar) {
        bar = new cliProgress.SingleBar({ format: 'provisioning [{bar}] {value}/{total} {step}', stream: process.stdout, hideCursor: true }, cliProgress.Presets.shades_classic);
        bar.start(total, done, { step: '' });
      } else bar?.setTotal(total);
    },
    tick(step) {
      done++;
      lastStep = step;
      bar?.update(done, { step });
      onProgress?.({ done, total, step });
    },
    stop() {
      if (timer) clearInterval(timer);
      bar?.stop();
      if (useLog && total > 0) log.info({ done, total }, 'provisioning steps finished');
    },
  };
}
