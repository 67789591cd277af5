import { Writable } from 'node:stream';
import { Logger as BridgeLogger } from 'matrix-appservice-bridge';
import { componentLogger } from '../log.ts';

let piped = false;

/** The text of the 404 the router gives on purpose to a user query for someone who is not an agent (router.ts). */
export const NOT_AN_EMPLOYEE = 'not an employee of this fleet';

/**
 * The outcomes the libraries log as errors that are normal here, and only those: registering a user that another
 * process (router or shard) registered first, and a user query we answered 404 on purpose. Every other M_NOT_FOUND
 * (a room, an event, a profile that should exist) is kept: it may be the only trace of a real fault. (The admin
 * room's alias lookup, which 404s until `./fleet provision` ran, does not go through the libraries.)
 */
export function isExpectedLibraryLog(message: string, args: unknown): boolean {
  if (message.includes('User ID is in use')) return true;
  return message.startsWith('Failed onUserQuery for ') && JSON.stringify(args ?? []).includes(NOT_AN_EMPLOYEE);
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
        if ((level === 'warn' || level === 'error') && !isExpectedLibraryLog(entry.message ?? '', entry.args)) {
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
