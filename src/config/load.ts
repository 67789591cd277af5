import { readFileSync, existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { fleetConfigSchema, type FleetConfig } from './schema.ts';

/** Environment variables that start with FLEET_ but are not config keys (secrets and launcher knobs). */
const NOT_CONFIG = new Set([
  'FLEET_CONFIG', 'FLEET_CEO_PASSWORD', 'FLEET_AS_TOKEN', 'FLEET_HS_TOKEN', 'FLEET_SHARD_SECRET',
  'FLEET_LOG_LEVEL', 'FLEET_CACHE_DIR', 'FLEET_DEBIAN_MIRROR', 'FLEET_NODE_VERSION', 'FLEET_SCRIPTED_PORT',
  'FLEET_SHARD_ID', 'FLEET_SHARD_TOKEN', 'FLEET_LOG_FORMAT', 'FLEET_HOME', 'FLEET_SCRIPTED_RULES',
]);

export class ConfigError extends Error {
  readonly file: string;
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`Invalid configuration (${file}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

export interface LoadedConfig {
  config: FleetConfig;
  /** Directory relative paths in the config resolve against (the project root). */
  root: string;
  file: string;
}

const camel = (snake: string): string => snake.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** FLEET_SHARDS__COUNT=3 → { shards: { count: 3 } }; values are parsed as YAML scalars so numbers stay numbers. */
export function envOverrides(env: NodeJS.ProcessEnv): Array<{ path: string[]; value: unknown; name: string }> {
  const out: Array<{ path: string[]; value: unknown; name: string }> = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('FLEET_') || NOT_CONFIG.has(name) || raw === undefined) continue;
    const path = name.slice('FLEET_'.length).split('__').map(camel);
    out.push({ path, value: raw === '' ? '' : parseYaml(raw), name });
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function describeIssue(issue: z.core.$ZodIssue, envByPath: Map<string, string>): string {
  const key = issue.path.join('.');
  const fromEnv = envByPath.get(key);
  const where = fromEnv ? `${key} (from ${fromEnv})` : key || '(top level)';
  return `${where}: ${issue.message}`;
}

/**
 * Reads config/fleet.yaml (or FLEET_CONFIG), applies FLEET_* overrides, and validates. Every problem is reported
 * at once with the key (and the variable it came from) so a person can fix them in one go.
 */
export function loadConfig(opts: { root: string; file?: string; env?: NodeJS.ProcessEnv }): LoadedConfig {
  const env = opts.env ?? process.env;
  const file = resolve(opts.root, opts.file ?? env.FLEET_CONFIG ?? 'config/fleet.yaml');
  if (!existsSync(file)) throw new ConfigError(file, [`file not found; copy config/fleet.yaml from the repository or set FLEET_CONFIG`]);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, ['the top level must be a mapping of keys']);
  const merged = structuredClone(raw) as Record<string, unknown>;
  const envByPath = new Map<string, string>();
  for (const o of envOverrides(env)) {
    setPath(merged, o.path, o.value);
    envByPath.set(o.path.join('.'), o.name);
  }
  if (env.FLEET_LOG_LEVEL) setPath(merged, ['log', 'level'], env.FLEET_LOG_LEVEL);
  const parsed = fleetConfigSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.map((i) => describeIssue(i, envByPath)));
  return { config: parsed.data, root: opts.root, file };
}

/** Resolves a path from the config against the project root. */
export function resolvePath(root: string, p: string): string {
  return isAbsolute(p) ? p : resolve(root, p);
}
