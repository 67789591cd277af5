import { Writable } from 'node:stream';
import { Logger as BridgeLogger } from 'matrix-appservice-bridge';
import { componentLogger } from '../log.ts';

let piped = false;

/**
 * Outcomes the libraries log as errors that are normal here: a user query we answered 404 on purpose (a human or
 * a stranger), and registering a user that another process (router or shard) registered first.
 */
function isExpected(message: string, args: unknown): boolean {
  // M_NOT_FOUND also covers looking up #fleet-admin before `./fleet provision` has created it.
  return message.includes('User ID is in use') || `${message}${JSON.stringify(args ?? [])}`.includes('M_NOT_FOUND');
}

/**
 * matrix-appservice-bridge and the bot-sdk log through their own winston logger. Send their warnings and errors
 * into our pino logger instead, so a process has one structured log; their debug chatter is dropped.
 */
export function pipeLibraryLogs(): void {
  if (piped) return;
  piped = true;
  const log = componentLogger('matrix-lib');
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      try {
        const entry = JSON.parse(chunk.toString()) as { level?: string; module?: string; message?: string; args?: unknown[] };
        const level = (entry.level ?? '').toLowerCase();
        if ((level === 'warn' || level === 'error') && !isExpected(entry.message ?? '', entry.args)) {
          log[level]({ module: entry.module, args: entry.args }, entry.message ?? '');
        }
      } catch {
        // Not JSON: nothing useful to keep.
      }
      done();
    },
  });
  (BridgeLogger as unknown as { root: { configureLogging(cfg: object, stream: Writable): void } }).root
    .configureLogging({ json: true }, sink);
}
