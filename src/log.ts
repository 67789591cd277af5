import { pino, type Logger } from 'pino';

/**
 * The one process-wide logger. It writes JSON lines to stderr: stdout belongs to commands' output
 * (`./fleet org list --json | jq` must stay parseable). Components take a child: `logger.child({ component: 'router' })`.
 * Secrets are redacted by key name as a second line of defence; the first is never passing them to a log call.
 */
export const logger: Logger = pino({
  // Tests provoke failures on purpose; only errors are worth reading there unless asked for.
  level: process.env.FLEET_LOG_LEVEL ?? (process.env.VITEST ? 'error' : 'info'),
  redact: {
    paths: ['*.as_token', '*.hs_token', '*.asToken', '*.hsToken', '*.password', '*.secret', '*.access_token', '*.authorization', 'headers.authorization'],
    censor: '[redacted]',
  },
  base: { pid: process.pid },
}, pino.destination({ fd: 2, sync: false }));

export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ component, ...bindings });
}

export type { Logger };
