import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppServiceRegistration } from 'matrix-appservice-bridge';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { escapeRegex, listNamespace, userNamespaceFor, type NamespaceMode } from './namespace.ts';

export const PLACEHOLDER_TOKEN = 'generate-with-fleet-registration';

/**
 * A checked registration. Shards load it without the hs_token (they never receive transactions): `hsToken` is
 * then absent, and the router takes a RouterRegistration, which has it.
 */
export interface LoadedRegistration {
  registration: AppServiceRegistration;
  id: string;
  asToken: string;
  hsToken?: string;
  senderLocalpart: string;
  url: string;
}

/** What the router needs: it checks the homeserver's transactions against the hs_token. */
export interface RouterRegistration extends LoadedRegistration {
  hsToken: string;
}

export class RegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

/**
 * The `list` namespace: exactly the fleet's users (the bot and every agent), never the domain. A namespace of
 * `@.*:domain` would include the humans, so the homeserver would push every human-only DM to the router, and the
 * as_token could act as the CEO. An anchored alternation of escaped localparts is the portable form (Synapse's `re`,
 * Conduit's Rust `regex`); src/matrix/namespace.ts has the other modes and when each applies.
 */
export function userNamespaceRegex(domain: string, localparts: readonly string[]): string {
  if (localparts.length === 0) throw new RegistrationError('the user namespace needs at least the bot');
  return listNamespace(domain, localparts);
}

/**
 * The registration's content for a domain, with fresh tokens unless given. `agents` are the localparts of every
 * agent in the org (staffed or not: the router answers for the unstaffed ones); the bot is added. `namespace`
 * (default `list`) chooses the user namespace's form; `all-but-humans` and `auto` need the org's `humans`.
 */
export function buildRegistration(opts: { id: string; url: string; domain: string; senderLocalpart: string;
  agents: readonly string[]; humans?: readonly string[]; namespace?: NamespaceMode; asToken?: string; hsToken?: string }): Record<string, unknown> {
  if (opts.namespace !== undefined && opts.namespace !== 'list' && opts.humans === undefined) {
    throw new RegistrationError(`namespace '${opts.namespace}' needs the org's humans`);
  }
  const users = userNamespaceFor(opts.namespace ?? 'list', opts.domain, [opts.senderLocalpart, ...opts.agents], opts.humans ?? []);
  const domain = escapeRegex(opts.domain);
  return {
    id: opts.id,
    url: opts.url,
    as_token: opts.asToken ?? randomBytes(32).toString('hex'),
    hs_token: opts.hsToken ?? randomBytes(32).toString('hex'),
    sender_localpart: opts.senderLocalpart,
    namespaces: {
      users: [{ exclusive: false, regex: users }],
      aliases: [{ exclusive: false, regex: `#.*:${domain}` }],
      rooms: [],
    },
    rate_limited: false,
    protocols: [],
  };
}

/** The user namespace regexes of registration content (to tell whether a file still fits the org). */
export function userNamespaces(raw: Record<string, unknown>): string[] {
  const users = (raw.namespaces as { users?: Array<{ regex?: unknown }> } | undefined)?.users ?? [];
  return users.map((u) => String(u.regex));
}

/** Writes a registration file readable only by its owner: it holds the two tokens. */
export function writeRegistration(path: string, content: Record<string, unknown>): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, stringifyYaml(content), { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Reads the registration; FLEET_AS_TOKEN / FLEET_HS_TOKEN replace its tokens (production keeps them in secrets). */
export function loadRegistration(path: string, env: NodeJS.ProcessEnv = process.env): RouterRegistration {
  const raw = readRegistrationFile(path);
  if (env.FLEET_AS_TOKEN) raw.as_token = env.FLEET_AS_TOKEN;
  if (env.FLEET_HS_TOKEN) raw.hs_token = env.FLEET_HS_TOKEN;
  return toLoadedRegistration(raw, path);
}

/** The registration's content as written in the file, unchecked. */
export function readRegistrationFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) {
    throw new RegistrationError(`appservice registration ${path} not found: run \`./fleet registration\` to create one`);
  }
  let raw: Record<string, unknown>;
  try {
    raw = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new RegistrationError(`appservice registration ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new RegistrationError(`appservice registration ${path} is not a mapping`);
  return raw;
}

/** Checks a registration's content (from a file, or built from config and env) and wraps it for the bridge. */
export function toLoadedRegistration(raw: Record<string, unknown>, source: string): RouterRegistration {
  checkFields(raw, source, ['id', 'as_token', 'hs_token', 'sender_localpart', 'url']);
  if (raw.as_token === raw.hs_token) throw new RegistrationError(`appservice registration ${source}: as_token and hs_token must differ`);
  return { ...wrap(raw), hsToken: raw.hs_token as string };
}

/**
 * The registration a shard needs: acting as agents takes only the as_token. Any hs_token in `raw` is dropped, so
 * a shard never holds the secret that authenticates the homeserver to the router.
 */
export function toShardRegistration(raw: Record<string, unknown>, source: string): LoadedRegistration {
  const { hs_token: _dropped, ...rest } = raw;
  checkFields(rest, source, ['id', 'as_token', 'sender_localpart', 'url']);
  // matrix-appservice-bridge refuses a registration object without an hs_token even where it is never used (a
  // shard never listens for transactions): it gets a random one that nobody else knows.
  return wrap({ ...rest, hs_token: randomBytes(32).toString('hex') });
}

function checkFields(raw: Record<string, unknown>, source: string, keys: readonly string[]): void {
  for (const key of keys) {
    if (typeof raw[key] !== 'string' || raw[key] === '') throw new RegistrationError(`appservice registration ${source}: "${key}" is missing`);
    if (key.endsWith('_token') && raw[key] === PLACEHOLDER_TOKEN) {
      throw new RegistrationError(`appservice registration ${source} still has placeholder tokens: run \`./fleet registration\``);
    }
  }
}

function wrap(raw: Record<string, unknown>): LoadedRegistration {
  return {
    registration: AppServiceRegistration.fromObject(raw as never),
    id: raw.id as string,
    asToken: raw.as_token as string,
    senderLocalpart: raw.sender_localpart as string,
    url: raw.url as string,
  };
}
