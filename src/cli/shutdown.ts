import { componentLogger } from '../log.ts';

const log = componentLogger('cli');

/**
 * Waits for SIGINT/SIGTERM, then closes once. Later signals do not interrupt the shutdown (a second Ctrl-C used to
 * kill the process mid-way, leaving the local Synapse running); a deadline bounds it.
 */
export async function stopOnSignal(close: () => Promise<void>, deadlineMs = 60_000): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) {
        console.error('already stopping; please wait');
        return;
      }
      stopping = true;
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const deadline = setTimeout(() => {
    log.error({ deadlineMs }, 'shutdown took too long; exiting anyway');
    process.exit(1);
  }, deadlineMs);
  deadline.unref();
  await close();
  process.exit(0);
}
