import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Replaces `file` with `data` so that a reader, a crash or a concurrent writer only ever sees the old or the new
 * content, never a mix. The temp file sits in the same directory (rename is atomic only within one file system) and
 * has a name no other writer can pick: the pid alone is not enough, since worker threads share it and two containers
 * on the same EFS directory are both pid 1.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: { mode?: number } = {}): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', opts.mode ?? 0o644); // secrets pass 0o600: set at creation, never readable by others even briefly
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd); // the content is on disk before the name points at it
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncDirectory(dir);
}

/** Makes the rename itself durable. Some file systems refuse to fsync a directory; the data is safe either way. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR/EPERM on file systems without directory fsync: nothing more can be done here.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
