import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { debianMirror } from './debian-mirror.ts';

type Progress = (line: string) => void;

const APT_NO_VALID_UNTIL = ['-o', 'Acquire::Check-Valid-Until=false'];
/** Debian's packages the local homeserver runs on: Synapse, and PostgreSQL for its database (Synapse's own docs call SQLite test-only). */
const PACKAGES = ['python3-cffi-backend', 'matrix-synapse', 'postgresql'];

/**
 * The Debian sid chroot holding Debian's matrix-synapse package, built once into `<cacheDir>/synapse-root`.
 * It is built under `.tmp` and renamed only when complete, so an interrupted build is never mistaken for a good one.
 */
export async function ensureSynapseRoot(opts: { cacheDir: string; onProgress?: Progress }): Promise<string> {
  const root = join(opts.cacheDir, 'synapse-root');
  if (existsSync(root)) return root;
  const progress: Progress = opts.onProgress ?? (() => {});
  if (process.getuid?.() !== 0) throw new Error(`building the Synapse chroot at ${root} needs root (debootstrap, chroot)`);
  const mirror = debianMirror();
  const tmp = `${root}.tmp`;
  mkdirSync(opts.cacheDir, { recursive: true });
  if (existsSync(tmp)) {
    progress(`removing the unfinished build at ${tmp}`);
    rmSync(tmp, { recursive: true, force: true });
  }
  await ensureDebootstrap(progress);
  progress(`building the Synapse chroot from ${mirror} (several minutes, once)`);
  await run('debootstrap', ['--variant=minbase', 'sid', tmp, mirror], progress);
  await run('chroot', [tmp, 'apt-get', ...APT_NO_VALID_UNTIL, 'update'], progress);
  await aptInstall(tmp, PACKAGES, progress);
  renameSync(tmp, root);
  progress(`Synapse chroot ready at ${root}`);
  return root;
}

/** Where Debian's PostgreSQL binaries are in the chroot (`/usr/lib/postgresql/<major>/bin`), if installed. */
export function postgresBinDir(root: string): string | undefined {
  const base = join(root, 'usr', 'lib', 'postgresql');
  if (!existsSync(base)) return undefined;
  const major = readdirSync(base).filter((d) => existsSync(join(base, d, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a))[0];
  return major === undefined ? undefined : `/usr/lib/postgresql/${major}/bin`;
}

/**
 * Adds PostgreSQL to a chroot built before it was part of the image (an existing cache keeps working). Several
 * processes may ask at once (parallel test runs): a lock directory lets one install while the others wait.
 */
export async function ensurePostgresInRoot(root: string, onProgress?: Progress): Promise<string> {
  const found = postgresBinDir(root);
  if (found) return found;
  const progress: Progress = onProgress ?? (() => {});
  const lock = `${root}.postgres-install.lock`;
  for (const deadline = Date.now() + 15 * 60_000; ; await sleep(1000)) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`waited 15 min for another process installing PostgreSQL into ${root} (remove ${lock} if none runs)`);
      if (postgresBinDir(root)) return postgresBinDir(root)!;
    }
  }
  try {
    if (!postgresBinDir(root)) {
      progress(`installing Debian's postgresql into ${root} (once)`);
      await run('chroot', [root, 'apt-get', ...APT_NO_VALID_UNTIL, 'update'], progress);
      await aptInstall(root, ['postgresql'], progress);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  const bin = postgresBinDir(root);
  if (!bin) throw new Error(`postgresql was installed into ${root} but no postgres binary is under /usr/lib/postgresql`);
  return bin;
}

/** Installs packages without starting their services: the chroot has no init, and each instance runs its own server. */
async function aptInstall(root: string, packages: string[], progress: Progress): Promise<void> {
  const policy = join(root, 'usr', 'sbin', 'policy-rc.d');
  if (!existsSync(policy)) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  // No cluster in /var/lib/postgresql: every Synapse instance gets its own data directory beside its config.
  mkdirSync(join(root, 'etc', 'postgresql-common'), { recursive: true });
  writeFileSync(join(root, 'etc', 'postgresql-common', 'createcluster.conf'), 'create_main_cluster = false\n');
  // postgresql-common's postinst runs systemd-tmpfiles, which refuses to work without /proc.
  const proc = join(root, 'proc');
  const mounted = readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === proc);
  if (!mounted) await run('mount', ['-t', 'proc', 'proc', proc], progress);
  try {
    await run('chroot', [root, 'apt-get', 'install', '-y', '--no-install-recommends', ...APT_NO_VALID_UNTIL, ...packages], progress,
      { DEBIAN_FRONTEND: 'noninteractive' });
  } finally {
    if (!mounted) await run('umount', [proc], progress);
  }
}

async function ensureDebootstrap(progress: Progress): Promise<void> {
  if (onPath('debootstrap')) return;
  progress('installing debootstrap with apt-get');
  await run('apt-get', ['update'], progress);
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'debootstrap'], progress, { DEBIAN_FRONTEND: 'noninteractive' });
}

function onPath(cmd: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  return dirs.some((d) => d && existsSync(join(d, cmd)));
}

/** Runs a command, streaming its output line by line; rejects with the last lines when it fails. */
function run(cmd: string, args: string[], progress: Progress, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`, ...env },
    });
    const tail: string[] = [];
    const onData = (buf: { partial: string }) => (chunk: Buffer) => {
      const lines = (buf.partial + chunk.toString('utf8')).split(/\r?\n/);
      buf.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        progress(line);
      }
    };
    child.stdout.on('data', onData({ partial: '' }));
    child.stderr.on('data', onData({ partial: '' }));
    child.on('error', (err) => reject(new Error(`${cmd} could not start: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}
