import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { debianMirror } from './debian-mirror.ts';

type Progress = (line: string) => void;

const APT_NO_VALID_UNTIL = ['-o', 'Acquire::Check-Valid-Until=false'];

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
  await run(
    'chroot',
    [tmp, 'apt-get', 'install', '-y', '--no-install-recommends', ...APT_NO_VALID_UNTIL, 'python3-cffi-backend', 'matrix-synapse'],
    progress,
    { DEBIAN_FRONTEND: 'noninteractive' },
  );
  renameSync(tmp, root);
  progress(`Synapse chroot ready at ${root}`);
  return root;
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
