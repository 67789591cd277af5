import { spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.ts';
import { ensurePostgresInRoot } from './chroot.ts';
import { isAlive, killGroup, readCmdline } from './processes.ts';

const READY_TIMEOUT_MS = 60_000;
const DB = 'synapse';
/** Finds chroot on this machine, then the programs inside it. */
const CHROOT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** How Synapse reaches its PostgreSQL: a unix socket in the data directory, no TCP port to collide on. */
export interface PostgresConnection {
  /** Directory of the socket, as seen inside the chroot. */
  socketDir: string;
  user: string;
  database: string;
}

/**
 * One PostgreSQL server per Synapse instance, run from Debian's package in the same chroot as the `postgres` user,
 * with its data in `<instance>/postgres` (so wiping the instance wipes its database) and only a unix socket there.
 * Like Synapse, it outlives the Node process that started it; a later start adopts it.
 */
export class LocalPostgres {
  readonly connection: PostgresConnection;
  private readonly root: string;
  /** The data directory inside the chroot, and on this machine. */
  private readonly inside: string;
  private readonly host: string;
  private readonly log: Logger;

  constructor(opts: { root: string; instanceDirInside: string; log: Logger }) {
    this.root = opts.root;
    this.inside = `${opts.instanceDirInside}/postgres`;
    this.host = join(opts.root, this.inside);
    this.log = opts.log;
    this.connection = { socketDir: this.inside, user: DB, database: DB };
  }

  async start(): Promise<void> {
    const bin = await ensurePostgresInRoot(this.root, (line) => this.log.info(line));
    const owner = this.postgresUser();
    if (!existsSync(join(this.host, 'PG_VERSION'))) await this.init(bin, owner);
    if (this.runningPid() === undefined) await this.launch(bin, owner);
    await this.waitReady(bin);
    await this.ensureDatabase(bin, owner);
  }

  async stop(): Promise<void> {
    const pid = this.runningPid();
    // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, the data is flushed.
    if (pid !== undefined) await killGroup(pid, 'SIGINT');
  }

  private postgresUser(): { uid: number; gid: number } {
    const line = readFileSync(join(this.root, 'etc', 'passwd'), 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    if (!line) throw new Error(`the chroot ${this.root} has no postgres user: its postgresql package is not configured`);
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  }

  private async init(bin: string, owner: { uid: number; gid: number }): Promise<void> {
    // The instance directory holds Synapse's secrets (0600 files); the postgres user only needs to pass through it.
    chmodSync(join(this.host, '..'), 0o711);
    mkdirSync(this.host, { recursive: true, mode: 0o700 });
    chownSync(this.host, owner.uid, owner.gid);
    // C collation, as Synapse requires; trust on the socket, which only root and postgres can reach.
    await this.runAs(owner, [`${bin}/initdb`, '-D', this.inside, '-U', DB, '-E', 'UTF8', '--locale=C', '--auth=trust']);
    this.log.info({ dataDir: this.inside }, 'PostgreSQL data directory created');
  }

  private async launch(bin: string, owner: { uid: number; gid: number }): Promise<void> {
    const out = openSync(join(this.host, '..', 'postgres.out'), 'a');
    const child = spawn('chroot', [`--userspec=${owner.uid}:${owner.gid}`, this.root, `${bin}/postgres`, '-D', this.inside,
      '-c', 'listen_addresses=', '-c', `unix_socket_directories=${this.inside}`, '-c', 'max_connections=50'], {
      detached: true, stdio: ['ignore', out, out], env: { PATH: CHROOT_PATH, LANG: 'C.UTF-8' },
    });
    closeSync(out);
    child.unref();
    this.log.info({ dataDir: this.inside, pid: child.pid }, 'PostgreSQL starting');
  }

  private async waitReady(bin: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (await this.runAs(undefined, [`${bin}/pg_isready`, '-q', '-h', this.inside, '-U', DB]).then(() => true, () => false)) return;
      await sleep(200);
    }
    throw new Error(`PostgreSQL did not accept connections on ${this.inside} within ${READY_TIMEOUT_MS / 1000} s; see ${join(this.host, '..', 'postgres.out')}`);
  }

  private async ensureDatabase(bin: string, owner: { uid: number; gid: number }): Promise<void> {
    const exists = await this.runAs(owner, [`${bin}/psql`, '-h', this.inside, '-U', DB, '-d', 'postgres', '-tAc', `SELECT 1 FROM pg_database WHERE datname = '${DB}'`]);
    if (exists.trim() === '1') return;
    await this.runAs(owner, [`${bin}/createdb`, '-h', this.inside, '-U', DB, '-E', 'UTF8', '--locale=C', '-T', 'template0', DB]);
  }

  /** The postmaster's pid from its pid file, if that process is this data directory's server. */
  private runningPid(): number | undefined {
    const file = join(this.host, 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
    return readCmdline(pid).includes(this.inside) ? pid : undefined;
  }

  /** Runs a command in the chroot (as the postgres user when given) and resolves with its stdout. */
  private runAs(owner: { uid: number; gid: number } | undefined, cmd: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('chroot', [...(owner ? [`--userspec=${owner.uid}:${owner.gid}`] : []), this.root, ...cmd], {
        stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: CHROOT_PATH, LANG: 'C.UTF-8', HOME: '/tmp' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${cmd.join(' ')} failed (exit ${code}): ${stderr.trim().slice(-500)}`))));
    });
  }
}
