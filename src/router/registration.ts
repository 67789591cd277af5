import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppServiceRegistration } from 'matrix-appservice-bridge';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export const PLACEHOLDER_TOKEN = 'generate-with-fleet-registration';

export interface LoadedRegistration {
  registration: AppServiceRegistration;
  id: string;
  asToken: string;
  hsToken: string;
  senderLocalpart: string;
  url: string;
}

export class RegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The registration's content for a domain, with fresh tokens unless given. */
export function buildRegistration(opts: { id: string; url: string; domain: string; senderLocalpart: string;
  asToken?: string; hsToken?: string }): Record<string, unknown> {
  const domain = escapeRegex(opts.domain);
  return {
    id: opts.id,
    url: opts.url,
    as_token: opts.asToken ?? randomBytes(32).toString('hex'),
    hs_token: opts.hsToken ?? randomBytes(32).toString('hex'),
    sender_localpart: opts.senderLocalpart,
    namespaces: {
      users: [{ exclusive: false, regex: `@.*:${domain}` }],
      aliases: [{ exclusive: false, regex: `#.*:${domain}` }],
      rooms: [],
    },
    rate_limited: false,
    protocols: [],
  };
}

/** Writes a registration file readable only by its owner: it holds the two tokens. */
export function writeRegistration(path: string, content: Record<string, unknown>): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, stringifyYaml(content), { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Reads the registration; FLEET_AS_TOKEN / FLEET_HS_TOKEN replace its tokens (production keeps them in secrets). */
export function loadRegistration(path: string, env: NodeJS.ProcessEnv = process.env): LoadedRegistration {
  if (!existsSync(path)) {
    throw new RegistrationError(`appservice registration ${path} not found: run \`./fleet registration\` to create one`);
  }
  let raw: Record<string, unknown>;
  try {
    raw = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new RegistrationError(`appservice registration ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (env.FLEET_AS_TOKEN) raw.as_token = env.FLEET_AS_TOKEN;
  if (env.FLEET_HS_TOKEN) raw.hs_token = env.FLEET_HS_TOKEN;
  return toLoadedRegistration(raw, path);
}

/** Checks a registration's content (from a file, or built from config and env) and wraps it for the bridge. */
export function toLoadedRegistration(raw: Record<string, unknown>, source: string): LoadedRegistration {
  for (const key of ['id', 'as_token', 'hs_token', 'sender_localpart', 'url'] as const) {
    if (typeof raw[key] !== 'string' || raw[key] === '') throw new RegistrationError(`appservice registration ${source}: "${key}" is missing`);
  }
  if (raw.as_token === PLACEHOLDER_TOKEN || raw.hs_token === PLACEHOLDER_TOKEN) {
    throw new RegistrationError(`appservice registration ${source} still has placeholder tokens: run \`./fleet registration\``);
  }
  if (raw.as_token === raw.hs_token) throw new RegistrationError(`appservice registration ${source}: as_token and hs_token must differ`);
  const registration = AppServiceRegistration.fromObject(raw as never);
  return {
    registration,
    id: raw.id as string,
    asToken: raw.as_token as string,
    hsToken: raw.hs_token as string,
    senderLocalpart: raw.sender_localpart as string,
    url: raw.url as string,
  };
}
