import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureSynapseRoot } from '../homeserver/chroot.ts';
import type { RegisterResult } from '../homeserver/shared-secret-register.ts';
import { LocalSynapse } from '../homeserver/synapse.ts';
import { componentLogger } from '../log.ts';
import { buildRegistration, loadRegistration, writeRegistration, type LoadedRegistration } from '../matrix/registration.ts';
import { freePort } from './processes.ts';
import { synapsePackageVersion } from './report.ts';

const log = componentLogger('bench-homeserver');

export interface BenchHomeserver {
  url: string;
  serverName: string;
  /** The registration Synapse was given; the router must listen on its url. */
  registration: LoadedRegistration;
  registrationPath: string;
  version: string;
  registerUser(localpart: string, password: string): Promise<RegisterResult>;
  /** Stops Synapse and deletes its instance (database, keys, media). */
  close(): Promise<void>;
}

export interface BenchHomeserverOptions {
  cacheDir: string;
  /** The Synapse instance name: its own database, never another run's or the fleet's. */
  instance: string;
  serverName: string;
  appserviceId: string;
  /** Localparts of the org's agents: the registration's user namespace lists exactly them (and the bot). */
  agents: readonly string[];
  senderLocalpart: string;
  /** Where the router will listen; it goes into the registration. */
  routerUrl: string;
  /** Directory for the registration file (the bench's scratch directory). */
  workDir: string;
  progress: (line: string) => void;
}

/** The bench's own Synapse, wiped at start and at close, with a registration generated for this run only. */
export async function startBenchHomeserver(opts: BenchHomeserverOptions): Promise<BenchHomeserver> {
  const root = await ensureSynapseRoot({ cacheDir: opts.cacheDir, onProgress: opts.progress });
  const routerPort = Number(new URL(opts.routerUrl).port);
  let port = await freePort();
  while (port === routerPort) port = await freePort();
  const raw = buildRegistration({ id: opts.appserviceId, url: opts.routerUrl, domain: opts.serverName, senderLocalpart: opts.senderLocalpart, agents: opts.agents });
  const registrationPath = join(opts.workDir, 'registration.yaml');
  writeRegistration(registrationPath, raw);
  const synapse = new LocalSynapse({
    root, instance: opts.instance, port, serverName: opts.serverName, appserviceRegistrationYaml: stringify(raw), log,
  });
  await synapse.wipe();
  const started = performance.now();
  try {
    await synapse.start();
  } catch (err) {
    await synapse.wipe();
    throw err;
  }
  opts.progress(`Synapse instance ${opts.instance} ready on ${synapse.url} in ${Math.round(performance.now() - started)} ms`);
  return {
    url: synapse.url,
    serverName: opts.serverName,
    // An empty environment: FLEET_AS_TOKEN/FLEET_HS_TOKEN of a production setup must not replace this run's tokens.
    registration: loadRegistration(registrationPath, {}),
    registrationPath,
    version: (await serverVersion(synapse.url)) ?? synapsePackageVersion(root),
    registerUser: (localpart, password) => synapse.registerUser(localpart, password),
    close: () => synapse.wipe(),
  };
}

async function serverVersion(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/_synapse/admin/v1/server_version`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { server_version?: unknown };
    return typeof body.server_version === 'string' ? body.server_version : undefined;
  } catch {
    return undefined;
  }
}
