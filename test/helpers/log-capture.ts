import { pino } from 'pino';
import { logger } from '../../src/log.ts';

type Writable = { write: (chunk: string) => boolean };

export interface LogCapture {
  /** Each line the process logger wrote since the capture began (pino's JSON, one line per chunk). */
  readonly lines: string[];
  /** Gives the logger its own stream's write back. */
  restore(): void;
}

/**
 * Takes every line of this process's logger (src/log.ts) from now on, in place of its destination: child loggers
 * share the root's stream, so none escapes however early it was made.
 */
export function captureLogLines(): LogCapture {
  const stream = (logger as unknown as Record<symbol, Writable>)[pino.symbols.streamSym]!;
  const write = stream.write.bind(stream);
  const lines: string[] = [];
  stream.write = (chunk: string) => { lines.push(String(chunk)); return true; };
  return { lines, restore: () => { stream.write = write; } };
}
