import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** A schema step; steps run once each, in order, tracked by SQLite's user_version. */
export type Migration = (db: Db) => void;

/**
 * Opens a component's SQLite file in WAL mode (readers never block the single writer, and a crash loses at most the
 * uncommitted transaction) and brings its schema up to date.
 */
export interface OpenOptions {
  /**
   * NORMAL (default) is durable across process crashes in WAL mode; only a power loss (or a network file system that
   * drops a write) can lose the last commits. Stores that acknowledge to someone else, who then forgets the data
   * (the homeserver, the router), use FULL: an fsync per commit.
   */
  synchronous?: 'NORMAL' | 'FULL';
}

export function openDatabase(path: string, migrations: readonly Migration[], opts: OpenOptions = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      migrations[v]!(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
