import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

/** Keys whose values never reach a log line, at any depth (compared without case, `_` or `-`). */
const SECRET_KEYS = new Set(['astoken', 'hstoken', 'password', 'secret', 'shardsecret', 'accesstoken', 'authorization',
  'token', 'cookie', 'apikey', 'registrationtoken']);
const REDACTED = '[redacted]';
/** Deeper than any log call of ours; guards against huge or self-referencing objects. */
const MAX_DEPTH = 8;

const isSecretKey = (key: string): boolean => SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));

/**
 * A copy of a log object with secret-named keys replaced, however deep they sit (pino's own `redact` takes fixed
 * paths, so `*.hs_token` misses `{ registration: { hs_token } }`). Objects without secrets are returned as they are.
 */
export function redactSecrets<T>(value: T, depth = 0, seen = new WeakSet<object>()): T {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => redactSecrets(v, depth + 1, seen));
    return (items.some((v, i) => v !== value[i]) ? items : value) as T;
  }
  // Errors, buffers, dates: pino's serializers own them; only plain objects are rewritten.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const next = isSecretKey(k) && v !== undefined ? REDACTED : redactSecrets(v, depth + 1, seen);
    if (next !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = next;
  }
  return (out ?? value) as T;
}

const LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** FLEET_LOG_LEVEL wins over config; tests log only errors unless asked for more. */
export function effectiveLogLevel(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): Level | 'silent' {
  const level = env.FLEET_LOG_LEVEL ?? configured ?? (env.VITEST ? 'error' : 'info');
  return (LEVELS.includes(level) ? level : 'info') as Level | 'silent';
}

/** The process logger's options (exported so tests can write through them into a buffer). */
export function loggerOptions(): pino.LoggerOptions {
  return {
    level: effectiveLogLevel(undefined),
    formatters: { log: (obj) => redactSecrets(obj) },
    base: { pid: process.pid },
  };
}

export type LogFormat = 'pretty' | 'json';

/**
 * A person at a terminal reads coloured single lines; anything else (a pipe, a file, ECS, CloudWatch) gets JSON lines
 * a machine can parse. FLEET_LOG_FORMAT=json|pretty overrides the guess (`./fleet up 2>&1 | jq` wants json).
 */
export function logFormat(stderrIsTTY: boolean, env: NodeJS.ProcessEnv = process.env): LogFormat {
  const asked = env.FLEET_LOG_FORMAT;
  if (asked === 'json' || asked === 'pretty') return asked;
  return stderrIsTTY && !env.CI ? 'pretty' : 'json';
}

/** Where the process logger writes: stderr, as JSON or through pino-pretty (in this thread: nothing is lost on exit). */
export function logDestination(format: LogFormat): DestinationStream {
  if (format === 'json') return pino.destination({ fd: 2, sync: false });
  return pinoPretty({
    destination: 2, sync: true, colorize: true, singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,component,shardId',
    messageFormat: '{if component}[{component}] {end}{if shardId}({shardId}) {end}{msg}',
  });
}

/**
 * The one process-wide logger. It writes JSON lines to stderr (pretty lines on a terminal, see logFormat): stdout belongs to commands' output
 * (`./fleet org list --json | jq` must stay parseable). Components take a child: `logger.child({ component: 'router' })`.
 * Secrets are redacted by key name as a second line of defence; the first is never passing them to a log call.
 * The level starts from FLEET_LOG_LEVEL; `setLogLevel` applies `log.level` from config once it is loaded, and child
 * loggers follow (they inherit the level unless given their own).
 */
export const logger: Logger = pino(loggerOptions(), logDestination(logFormat(process.stderr.isTTY === true)));

/** Applies `log.level` from config; FLEET_LOG_LEVEL, when set, still overrides it. */
export function setLogLevel(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  logger.level = effectiveLogLevel(configured, env);
}

/** pino does not pass a child's bindings through the formatters: they are redacted here. */
export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child(redactSecrets({ component, ...bindings }));
}

export type { Logger };
