import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentLogger, type Logger } from '../log.ts';
import { homeserverYaml, instancePaths, logYaml, newSigningKey, type InstancePaths } from './synapse-config.ts';
import { registerWithSharedSecret, type RegisterResult } from './shared-secret-register.ts';
import { LocalPostgres } from './postgres.ts';
import { isAlive, killGroup, readCmdline } from './processes.ts';

export interface LocalSynapseOptions {
  /** The chroot from ensureSynapseRoot. */
  root: string;
  /** Names the instance directory `<root>/srv/<instance>`; one instance = one database. */
  instance: string;
  port: number;
  serverName: string;
  /** Written to the instance at every start, so a changed registration is picked up (by a restart if needed). */
  appserviceRegistrationYaml?: string;
  /** Synapse's database: SQLite in the instance (default, quick to start and wipe) or its own PostgreSQL server. */
  database?: SynapseDatabase;
  log?: Logger;
}

export type SynapseDatabase = 'sqlite' | 'postgres';

const READY_TIMEOUT_MS = 120_000;


/**
 * One Synapse process run from the Debian chroot, bound to 127.0.0.1, with its state in `<root>/srv/<instance>/`
 * (the chroot cannot see anything outside it). The process outlives this object and its Node process: a later
 * start() with the same configuration adopts it instead of starting another.
 */
export class LocalSynapse {
  private readonly opts: LocalSynapseOptions;
  private readonly log: Logger;
  /** Paths as Synapse sees them (inside the chroot). */
  private readonly inside: InstancePaths;
  /** The instance directory on this machine. */
  readonly instanceDir: string;
  private pid: number | undefined;
  private readonly postgres: LocalPostgres | undefined;

  constructor(opts: LocalSynapseOptions) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(opts.instance)) throw new Error(`bad Synapse instance name: ${opts.instance}`);
    this.opts = opts;
    this.log = opts.log ?? componentLogger('synapse');
    this.inside = instancePaths(`/srv/${opts.instance}`);
    this.instanceDir = join(opts.root, 'srv', opts.instance);
    this.postgres = opts.database === 'postgres' ? new LocalPostgres({ root: opts.root, instanceDirInside: this.inside.dir, log: this.log }) : undefined;
  }

  /** The database an existing instance holds its data in, undefined for a new one (a switch would lose the data). */
  static databaseInUse(root: string, instance: string): SynapseDatabase | undefined {
    const dir = join(root, 'srv', instance);
    if (existsSync(join(dir, 'postgres', 'PG_VERSION'))) return 'postgres';
    if (existsSync(join(dir, 'homeserver.db'))) return 'sqlite';
    return undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.opts.port}`;
  }

  get serverName(): string {
    return this.opts.serverName;
  }

  /** The registration shared secret (for callers that register users themselves, e.g. test workers). */
  sharedSecret(): string {
    return readFileSync(this.host(this.inside.sharedSecret), 'utf8').trim();
  }

  async start(): Promise<void> {
    mkdirSync(this.host(this.inside.mediaStore), { recursive: true, mode: 0o700 });
    this.ensureSecrets();
    await this.postgres?.start();
    const changed = this.writeConfig();
    const running = this.runningPid();
    if (running !== undefined && !changed) {
      this.log.info({ instance: this.opts.instance, synapsePid: running, url: this.url }, 'adopting the running Synapse');
      this.pid = running;
      await this.waitReady(() => undefined);
      return;
    }
    if (running !== undefined) {
      this.log.info({ instance: this.opts.instance, synapsePid: running }, 'restarting Synapse to load its changed configuration');
      await killGroup(running);
    } else if (await this.answers()) {
      throw new Error(`port ${this.opts.port} already answers Matrix requests, but not from Synapse instance ${this.opts.instance}`);
    }
    await this.launch();
  }

  async stop(): Promise<void> {
    // The pidfile first: another LocalSynapse of this instance (a test that restarted the homeserver) may have
    // replaced the process this object started.
    const pid = this.runningPid() ?? this.pid;
    this.pid = undefined;
    if (pid !== undefined) {
      await killGroup(pid);
      rmSync(this.pidFile(), { force: true });
      this.log.info({ instance: this.opts.instance }, 'Synapse stopped');
    }
    // After Synapse, which would otherwise log every lost connection.
    await this.postgres?.stop();
  }

  /** Stops Synapse and deletes the instance: database, keys, media. */
  async wipe(): Promise<void> {
    await this.stop();
    rmSync(this.instanceDir, { recursive: true, force: true });
  }

  registerUser(localpart: string, password: string, admin = false, displayName?: string): Promise<RegisterResult> {
    return registerWithSharedSecret({
      homeserverUrl: this.url, serverName: this.opts.serverName, sharedSecret: this.sharedSecret(), localpart, password, admin,
      ...(displayName ? { displayName } : {}),
    });
  }

  private host(insidePath: string): string {
    return join(this.opts.root, insidePath);
  }

  private pidFile(): string {
    return join(this.instanceDir, 'synapse.pid');
  }

  private outFile(): string {
    return join(this.instanceDir, 'synapse.out');
  }

  private ensureSecrets(): void {
    const secret = (path: string, make: () => string) => {
      if (!existsSync(this.host(path))) writeFileSync(this.host(path), make(), { mode: 0o600 });
    };
    secret(this.inside.sharedSecret, () => `${randomBytes(32).toString('hex')}\n`);
    secret(this.inside.macaroonSecret, () => `${randomBytes(32).toString('hex')}\n`);
    secret(this.inside.signingKey, newSigningKey);
  }

  /** Writes the configuration files; true when any of them differs from what the instance had. */
  private writeConfig(): boolean {
    const files: Array<[string, string | undefined]> = [
      [this.inside.config, homeserverYaml({
        serverName: this.opts.serverName, port: this.opts.port, paths: this.inside,
        withAppservice: this.opts.appserviceRegistrationYaml !== undefined,
        ...(this.postgres ? { postgres: this.postgres.connection } : {}),
      })],
      [this.inside.logConfig, logYaml()],
      [this.inside.appservice, this.opts.appserviceRegistrationYaml],
    ];
    let changed = false;
    for (const [path, content] of files) {
      const file = this.host(path);
      const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (current === content) continue;
      changed = true;
      if (content === undefined) rmSync(file, { force: true });
      else writeFileSync(file, content, { mode: 0o600 });
    }
    return changed;
  }

  /** The pid in the pidfile if that process is this instance's Synapse (not a recycled pid). */
  private runningPid(): number | undefined {
    if (!existsSync(this.pidFile())) return undefined;
    const pid = Number(readFileSync(this.pidFile(), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
    const cmdline = readCmdline(pid);
    return cmdline.includes('synapse.app.homeserver') && cmdline.includes(this.inside.config) ? pid : undefined;
  }

  private async launch(): Promise<void> {
    const started = Date.now();
    const out = openSync(this.outFile(), 'w');
    const child = spawn('chroot', [this.opts.root, 'python3', '-m', 'synapse.app.homeserver', '-c', this.inside.config], {
      detached: true, // own process group: stop() signals Synapse and anything it forks, and nothing else
      stdio: ['ignore', out, out],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: '/root' },
    });
    closeSync(out);
    let exit: string | undefined;
    child.once('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
    });
    child.once('error', (err) => {
      exit = `could not start: ${err.message}`;
    });
    child.unref();
    if (child.pid !== undefined) writeFileSync(this.pidFile(), `${child.pid}\n`);
    this.pid = child.pid;
    await this.waitReady(() => exit);
    this.log.info({ instance: this.opts.instance, url: this.url, ms: Date.now() - started }, 'Synapse started');
  }

  private async waitReady(exited: () => string | undefined): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const gone = exited();
      if (gone) throw new Error(`Synapse ${gone} before answering on ${this.url}; ${this.logTail()}`);
      if (await this.answers()) return;
      await sleep(200);
    }
    if (this.pid !== undefined) await killGroup(this.pid);
    throw new Error(`Synapse did not answer on ${this.url} within ${READY_TIMEOUT_MS / 1000} s; ${this.logTail()}`);
  }

  private async answers(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/_matrix/client/versions`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  private logTail(lines = 25): string {
    const text = existsSync(this.outFile()) ? readFileSync(this.outFile(), 'utf8') : '';
    const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
    return tail ? `last lines of ${this.outFile()}:\n${tail}` : `${this.outFile()} is empty`;
  }
}
