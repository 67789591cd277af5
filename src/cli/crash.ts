import type { Logger } from '../log.ts';

/**
 * A rejection nobody awaited or an exception nobody caught leaves the process in a state nothing was written for:
 * log it (with its stack: it is a bug) and exit non-zero, so the supervisor (`up`'s shard driver, ECS) restarts a
 * clean process instead of one that silently stopped doing part of its work.
 */
export function installCrashHandlers(log: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  let exiting = false;
  const die = (kind: string) => (err: unknown) => {
    if (exiting) return;
    exiting = true;
    log.fatal({ err: err instanceof Error ? err : new Error(String(err)) }, `${kind}: exiting`);
    // The logger writes asynchronously: flush the last line before the process goes.
    let done = false;
    const leave = () => { if (!done) { done = true; exit(1); } };
    log.flush(() => leave());
    setTimeout(leave, 1000).unref();
  };
  const onRejection = die('unhandled promise rejection');
  const onException = die('uncaught exception');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
