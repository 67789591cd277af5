import { pino, type Logger } from 'pino';

/**
 * The one process-wide logger. Components take a child: `logger.child({ component: 'router' })`.
 * Secrets are redacted by key name as a second line of defence; the first is never passing them to a log call.
 */
export const logger: Logger = pino({
  level: process.env.FLEET_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info'),
  redact: {
    paths: ['*.as_token', '*.hs_token', '*.asToken', '*.hsToken', '*.password', '*.secret', '*.access_token', '*.authorization', 'headers.authorization'],
    censor: '[redacted]',
  },
  base: { pid: process.pid },
});

export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ component, ...bindings });
}

export type { Logger };
