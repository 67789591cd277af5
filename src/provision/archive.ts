import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Moves a departed agent's directory `<dataDir>/agents/<localpart>` to `<dataDir>/archive/agents/<localpart>-<date>`
 * (suffixed -2, -3 … when that exists). Never deletes: a departure keeps its memory for audit and rehire.
 * Returns the archive path, or undefined when the agent never had a directory.
 */
export function archiveAgentDir(dataDir: string, localpart: string, now = new Date()): string | undefined {
  const from = join(dataDir, 'agents', localpart);
  if (!existsSync(from)) return undefined;
  const archiveRoot = join(dataDir, 'archive', 'agents');
  mkdirSync(archiveRoot, { recursive: true });
  const base = `${localpart}-${now.toISOString().slice(0, 10)}`;
  let to = join(archiveRoot, base);
  for (let n = 2; existsSync(to); n++) to = join(archiveRoot, `${base}-${n}`);
  renameSync(from, to);
  return to;
}
