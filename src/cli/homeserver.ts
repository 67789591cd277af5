import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ensureSynapseRoot } from '../homeserver/chroot.ts';
import { LocalSynapse } from '../homeserver/synapse.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { componentLogger } from '../log.ts';
import type { FleetContext } from './context.ts';

const log = componentLogger('homeserver');

export interface RunningHomeserver {
  url: string;
  /** The human CEO's account; the password only when it was created now (it is shown once, never stored). */
  ceo: { userId: string; password?: string };
  stop(): Promise<void>;
}

/**
 * The configured homeserver, or (none configured) a local Synapse built once from Debian's package in a chroot,
 * with this fleet's registration loaded and the human CEO's account provisioned.
 */
export async function startHomeserver(ctx: FleetContext, org: OrgDirectory): Promise<RunningHomeserver> {
  const ceo = org.humans()[0];
  if (!ceo) throw new Error('the org has no human: the CEO must be marked human');
  if (ctx.config.homeserver.url) {
    return { url: ctx.config.homeserver.url, ceo: { userId: ceo.matrixId }, stop: async () => {} };
  }
  const root = await ensureSynapseRoot({ cacheDir: ctx.cacheDir, onProgress: (line: string) => log.info(line) });
  const { instance } = ctx.config.homeserver.local;
  const inUse = LocalSynapse.databaseInUse(root, instance);
  const database = ctx.config.homeserver.local.database ?? inUse ?? 'postgres';
  if (inUse && inUse !== database) log.warn({ instance, inUse, database }, 'homeserver.local.database differs from the database this instance holds its data in: starting empty (synapse_port_db migrates SQLite to PostgreSQL)');
  log.info({ instance, database }, 'local Synapse database');
  const synapse = new LocalSynapse({
    root,
    instance,
    database,
    port: ctx.config.homeserver.local.port,
    serverName: ctx.config.domain,
    appserviceRegistrationYaml: readFileSync(ctx.registrationPath, 'utf8'),
    log,
  });
  await synapse.start();
  const password = process.env.FLEET_CEO_PASSWORD ?? randomBytes(12).toString('base64url');
  const { created } = await synapse.registerUser(ceo.localpart, password, true, ceo.name);
  return {
    url: synapse.url,
    ceo: { userId: ceo.matrixId, ...(created && !process.env.FLEET_CEO_PASSWORD ? { password } : {}) },
    stop: () => synapse.stop(),
  };
}
