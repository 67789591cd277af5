import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureSynapseRoot } from '../homeserver/chroot.ts';
import type { RegisterResult } from '../homeserver/shared-secret-register.ts';
import { LocalSynapse, type SynapseDatabase } from '../homeserver/synapse.ts';
import { componentLogger } from '../log.ts';
import type { NamespaceMode } from '../matrix/namespace.ts';
import { buildRegistration, loadRegistration, writeRegistration, type LoadedRegistration } from '../matrix/registration.ts';
import { freePort } from './processes.ts';
import { mergeTraffic, startCountingProxy, type CountingProxy, type TrafficSnapshot } from './request-counter.ts';
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
  /** CPU time Synapse has used so far (user + system, ms), from /proc; undefined where that cannot be read. */
  cpuMs(): number | undefined;
  /** With `countRequests`: the fleet's requests to the homeserver and the homeserver's pushes to the router so far. */
  traffic?: () => TrafficSnapshot;
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
  /** With `namespace` (default list): the org's humans, whom the all-but-humans namespace leaves out. */
  humans?: readonly string[];
  namespace?: NamespaceMode;
  senderLocalpart: string;
  /** Where the router will listen; it goes into the registration. */
  routerUrl: string;
  /** Synapse's database (default SQLite, quickest to start and wipe). */
  database?: SynapseDatabase;
  /** Directory for the registration file (the bench's scratch directory). */
  workDir: string;
  progress: (line: string) => void;
  /**
   * Put a counting proxy each way between the fleet and Synapse (request-counter.ts): `url` is then the proxy's, and
   * the registration sends pushes through the other one. Only requests made with the appservice's token are counted
   * (the bench's own clients use the same url).
   */
  countRequests?: boolean;
}

/** The bench's own Synapse, wiped at start and at close, with a registration generated for this run only. */
export async function startBenchHomeserver(opts: BenchHomeserverOptions): Promise<BenchHomeserver> {
  const root = await ensureSynapseRoot({ cacheDir: opts.cacheDir, onProgress: opts.progress });
  const routerPort = Number(new URL(opts.routerUrl).port);
  let port = await freePort();
  while (port === routerPort) port = await freePort();
  const proxies: CountingProxy[] = [];
  const pushes = opts.countRequests ? await startCountingProxy(opts.routerUrl) : undefined;
  if (pushes) proxies.push(pushes);
  const raw = buildRegistration({ id: opts.appserviceId, url: pushes?.url ?? opts.routerUrl, domain: opts.serverName, senderLocalpart: opts.senderLocalpart, agents: opts.agents,
    ...(opts.namespace ? { namespace: opts.namespace, humans: opts.humans ?? [] } : {}) });
  const registrationPath = join(opts.workDir, 'registration.yaml');
  writeRegistration(registrationPath, raw);
  const synapse = new LocalSynapse({
    root, instance: opts.instance, port, serverName: opts.serverName, appserviceRegistrationYaml: stringify(raw), log,
    ...(opts.database ? { database: opts.database } : {}),
  });
  await synapse.wipe();
  const started = performance.now();
  try {
    await synapse.start();
  } catch (err) {
    await synapse.wipe();
    for (const p of proxies) await p.close();
    throw err;
  }
  const calls = opts.countRequests ? await startCountingProxy(synapse.url, (req) => usesToken(req, String(raw.as_token))) : undefined;
  if (calls) proxies.push(calls);
  opts.progress(`Synapse instance ${opts.instance} ready on ${synapse.url} in ${Math.round(performance.now() - started)} ms`);
  return {
    url: calls?.url ?? synapse.url,
    serverName: opts.serverName,
    // An empty environment: FLEET_AS_TOKEN/FLEET_HS_TOKEN of a production setup must not replace this run's tokens.
    registration: loadRegistration(registrationPath, {}),
    registrationPath,
    version: (await serverVersion(synapse.url)) ?? synapsePackageVersion(root),
    registerUser: (localpart, password) => synapse.registerUser(localpart, password),
    cpuMs: () => processCpuMs(join(synapse.instanceDir, 'synapse.pid')),
    ...(calls && pushes ? { traffic: () => mergeTraffic(calls.snapshot(), pushes.snapshot()) } : {}),
    close: async () => {
      for (const p of proxies) await p.close();
      await synapse.wipe();
    },
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

/** The appservice's own requests: its token as a Bearer header or (older clients) as the access_token parameter. */
function usesToken(req: { headers: { authorization?: string | undefined }; url?: string | undefined }, token: string): boolean {
  if (req.headers.authorization === `Bearer ${token}`) return true;
  return new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('access_token') === token;
}

/** utime + stime of the process in the pidfile; Linux clock ticks are 10 ms (USER_HZ 100). */
function processCpuMs(pidFile: string): number | undefined {
  try {
    const pid = readFileSync(pidFile, 'utf8').trim();
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}
