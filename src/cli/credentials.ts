import { shardToken } from '../protocol/wire.ts';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { componentLogger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import {
  buildRegistration, PLACEHOLDER_TOKEN, readRegistrationFile, RegistrationError, toLoadedRegistration, toShardRegistration, userNamespaces, writeRegistration,
  type LoadedRegistration, type RouterRegistration,
} from '../matrix/registration.ts';
import { secretFromEnvOrFile, type FleetContext } from './context.ts';

const log = componentLogger('cli');

export const shardSecretFor = (ctx: FleetContext): string => secretFromEnvOrFile('FLEET_SHARD_SECRET', join(ctx.stateDir, 'shard-secret'));

/** Registration content for this config and org, with the given tokens or fresh ones; same shape as registration.yaml. */
export function registrationContent(ctx: Pick<FleetContext, 'config'>, org: OrgDirectory,
  opts: { url?: string; asToken?: string; hsToken?: string } = {}): Record<string, unknown> {
  const { config } = ctx;
  return buildRegistration({
    id: config.appservice.id,
    url: opts.url ?? config.router.url,
    domain: config.domain,
    senderLocalpart: config.appservice.senderLocalpart,
    agents: org.agents().map((p) => p.localpart),
    humans: org.humans().map((p) => p.localpart),
    namespace: config.appservice.namespace,
    ...(opts.asToken ? { asToken: opts.asToken } : {}),
    ...(opts.hsToken ? { hsToken: opts.hsToken } : {}),
  });
}

/**
 * The router's registration. Containers have no file of their own: with FLEET_AS_TOKEN and FLEET_HS_TOKEN set it
 * is built from the config and org. Locally the configured file is created with fresh tokens the first time, and
 * rewritten with the same tokens when the org changed (a hire or a leaver changes the user namespace); the local
 * Synapse is given the file on every start. A file outside .fleet/ is never rewritten: the operator is told to
 * regenerate it (`./fleet registration --keep-tokens`) and re-register it with the homeserver.
 */
export function ensureRegistration(ctx: FleetContext, org: OrgDirectory, env: NodeJS.ProcessEnv = process.env): RouterRegistration {
  const { FLEET_AS_TOKEN: asToken, FLEET_HS_TOKEN: hsToken } = env;
  if (!existsSync(ctx.registrationPath)) {
    if (asToken && hsToken) return toLoadedRegistration(registrationContent(ctx, org, { asToken, hsToken }), 'FLEET_AS_TOKEN/FLEET_HS_TOKEN');
    writeRegistration(ctx.registrationPath, registrationContent(ctx, org));
    log.info({ path: ctx.registrationPath }, 'wrote appservice registration with fresh tokens');
  }
  const raw = readRegistrationFile(ctx.registrationPath);
  const wanted = registrationContent(ctx, org); // only its namespaces are used
  if (JSON.stringify(userNamespaces(raw)) !== JSON.stringify(userNamespaces(wanted))) {
    if (isGenerated(ctx)) {
      writeRegistration(ctx.registrationPath, { ...raw, namespaces: wanted.namespaces });
      // The local Synapse is given the file on every `up`; a homeserver of your own has to be given it again.
      const own = ctx.config.homeserver.url !== '';
      log[own ? 'warn' : 'info']({ path: ctx.registrationPath }, own
        ? 'the org changed: rewrote the registration\'s user namespace (same tokens); give the homeserver this file again '
          + '(Synapse: restart; Conduit: register-appservice), or new hires get no messages'
        : 'the org changed: rewrote the registration\'s user namespace (same tokens)');
    } else if (raw.as_token !== PLACEHOLDER_TOKEN) {
      // (The committed template, whose tokens come from the environment, shows only the shape: nothing to warn about.)
      log.warn({ path: ctx.registrationPath }, 'the registration\'s user namespace does not list the org\'s agents: run '
        + '`./fleet registration --keep-tokens` and give the homeserver the new file, or new hires get no messages');
    }
  }
  // The namespace always follows the org in memory, whatever the file said.
  return toLoadedRegistration({ ...raw, namespaces: wanted.namespaces,
    ...(asToken ? { as_token: asToken } : {}), ...(hsToken ? { hs_token: hsToken } : {}) }, ctx.registrationPath);
}

/**
 * A shard's registration: the as_token only (FLEET_AS_TOKEN, else the registration file), never the hs_token.
 * A shard acts as agents; it never receives the homeserver's transactions, so it has no use for the hs_token.
 */
export function shardRegistration(ctx: FleetContext, org: OrgDirectory, env: NodeJS.ProcessEnv = process.env): LoadedRegistration {
  const fromFile = existsSync(ctx.registrationPath) ? readRegistrationFile(ctx.registrationPath) : undefined;
  const asToken = env.FLEET_AS_TOKEN ?? (typeof fromFile?.as_token === 'string' ? fromFile.as_token : undefined);
  if (!asToken) {
    throw new RegistrationError(`a shard needs the appservice as_token: set FLEET_AS_TOKEN, or create ${ctx.registrationPath} with \`./fleet registration\``);
  }
  return toShardRegistration(registrationContent(ctx, org, { asToken }), env.FLEET_AS_TOKEN ? 'FLEET_AS_TOKEN' : ctx.registrationPath);
}

/** A registration file under .fleet/ is ours to rewrite; anywhere else it is the operator's. */
function isGenerated(ctx: FleetContext): boolean {
  const rel = relative(ctx.stateDir, ctx.registrationPath);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith('/');
}

/**
 * A shard's own token: FLEET_SHARD_TOKEN (what `up`'s driver and ECS give each shard), else derived from the fleet
 * secret where this machine has it (a developer running `./fleet shard` by hand).
 */
export function shardTokenFor(ctx: FleetContext, shardId: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.FLEET_SHARD_TOKEN || shardToken(shardSecretFor(ctx), shardId);
}
