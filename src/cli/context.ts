import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig, resolvePath, type LoadedConfig } from '../config/load.ts';
import { setLogLevel } from '../log.ts';
import type { FleetConfig } from '../config/schema.ts';
import { loadOrg } from '../org/load.ts';
import type { OrgDirectory } from '../org/directory.ts';

/** Where the project lives: the launcher exports FLEET_HOME; running the CLI by hand falls back to the cwd. */
export const projectRoot = (): string => process.env.FLEET_HOME ?? process.cwd();

export interface FleetContext extends LoadedConfig {
  /** .fleet/: generated registration, secrets and the data dir, never committed. */
  stateDir: string;
  dataDir: string;
  registrationPath: string;
  cacheDir: string;
}

export function fleetContext(): FleetContext {
  const loaded = loadConfig({ root: projectRoot() });
  const { config, root } = loaded;
  // The logger exists before the config is read; from here on `log.level` applies (FLEET_LOG_LEVEL still wins).
  setLogLevel(config.log.level);
  const dataDir = resolvePath(root, config.agents.dataDir);
  return {
    ...loaded,
    stateDir: resolvePath(root, '.fleet'),
    dataDir,
    registrationPath: resolvePath(root, config.appservice.registration),
    cacheDir: process.env.FLEET_CACHE_DIR ?? join(process.env.HOME ?? '/root', '.cache', 'open-claw-fleet'),
  };
}

export function orgFor(config: FleetConfig, root: string): OrgDirectory {
  return loadOrg({
    domain: config.domain,
    seed: config.org.seed,
    size: config.org.size,
    ceo: config.ceo,
    file: config.org.file ? resolvePath(root, config.org.file) : undefined,
    humans: config.org.humans,
  });
}

/**
 * A secret from the environment, or generated once into a 0600 file under .fleet/ (local runs). Never printed.
 */
export function secretFromEnvOrFile(envName: string, file: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[envName];
  if (fromEnv) return fromEnv;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
