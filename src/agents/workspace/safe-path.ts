import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** Raised when an agent asks for a file outside its own directory; the message is safe to show to the model. */
export class WorkspacePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkspacePathError';
  }
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function present(p: string): boolean {
  // lstat, not exists: a dangling symlink is present (and writing through it would escape).
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The deepest present ancestor of `p` (itself when present), resolved through symlinks; null when unresolvable. */
function realpathOfExistingPrefix(p: string): string | null {
  let current = p;
  const rest: string[] = [];
  while (!present(current)) {
    const parent = path.dirname(current);
    if (parent === current) break;
    rest.unshift(path.basename(current));
    current = parent;
  }
  try {
    return path.join(realpathSync(current), ...rest);
  } catch {
    return null;
  }
}

/**
 * Resolves a path an agent (or a model on its behalf) supplied, relative to the agent's directory. Refuses absolute
 * paths, any `..` segment, NUL bytes, and anything whose existing part resolves through a symlink to outside the
 * directory, so no tool can read or write another agent's files or the host's.
 */
export function resolveInside(root: string, relPath: string): string {
  if (typeof relPath !== 'string' || relPath.trim() === '') throw new WorkspacePathError('empty path');
  if (relPath.includes('\0')) throw new WorkspacePathError('path contains a NUL byte');
  if (path.isAbsolute(relPath) || /^[a-zA-Z]:[\\/]/.test(relPath) || relPath.startsWith('\\')) {
    throw new WorkspacePathError(`absolute paths are not allowed: ${relPath}`);
  }
  if (relPath.split(/[\\/]+/).includes('..')) throw new WorkspacePathError(`'..' is not allowed in paths: ${relPath}`);
  const lexical = path.resolve(root, relPath);
  if (!isInside(root, lexical)) throw new WorkspacePathError(`path leaves the workspace: ${relPath}`);
  const realRoot = realpathSync(root);
  const real = realpathOfExistingPrefix(lexical);
  if (real === null || !isInside(realRoot, real)) {
    throw new WorkspacePathError(`path resolves outside the workspace (symlink): ${relPath}`);
  }
  return lexical;
}
