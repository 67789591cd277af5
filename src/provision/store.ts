import { createHash } from 'node:crypto';
import { openDatabase, type Db, type Migration } from '../store/sqlite.ts';
import type { Membership } from './plan.ts';

const MIGRATIONS: Migration[] = [
  (db) => db.exec(`
    CREATE TABLE users (
      user_id TEXT PRIMARY KEY,
      registered INTEGER NOT NULL DEFAULT 0,
      display_name TEXT,
      title TEXT,
      live INTEGER NOT NULL DEFAULT 1,
      deactivated_at INTEGER
    );
    CREATE TABLE rooms (alias TEXT PRIMARY KEY, room_id TEXT NOT NULL, kind TEXT NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE room_state (
      alias TEXT NOT NULL, type TEXT NOT NULL, state_key TEXT NOT NULL, hash TEXT NOT NULL,
      PRIMARY KEY (alias, type, state_key)
    );
    CREATE TABLE memberships (
      alias TEXT NOT NULL, user_id TEXT NOT NULL, membership TEXT NOT NULL, at INTEGER NOT NULL,
      PRIMARY KEY (alias, user_id)
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `),
];

export interface RecordedUser {
  userId: string;
  registered: boolean;
  displayName: string | null;
  title: string | null;
  live: boolean;
  deactivatedAt: number | null;
}

/** Key order does not change a hash: what matters is the content. */
export function contentHash(content: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(content))).digest('base64url').slice(0, 22);
}

const stateKey = (alias: string, type: string, key: string): string => `${alias}\u0000${type}\u0000${key}`;
export const membershipKey = (alias: string, userId: string): string => `${alias}\u0000${userId}`;

/**
 * What provisioning has done on the homeserver (`<dataDir>/provision.sqlite`), written one step at a time as each
 * succeeds, so an interrupted run resumes where it stopped and a re-run only applies the difference.
 */
export class ProvisionStore {
  readonly db: Db;

  constructor(path: string) {
    this.db = openDatabase(path, MIGRATIONS);
  }

  close(): void {
    this.db.close();
  }

  meta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  users(): Map<string, RecordedUser> {
    const rows = this.db.prepare('SELECT * FROM users').all() as Array<{ user_id: string; registered: number; display_name: string | null; title: string | null; live: number; deactivated_at: number | null }>;
    return new Map(rows.map((r) => [r.user_id, {
      userId: r.user_id, registered: r.registered === 1, displayName: r.display_name, title: r.title, live: r.live === 1, deactivatedAt: r.deactivated_at,
    }]));
  }

  /** Registered (or found already registered); a returning employee is active again. */
  markRegistered(userId: string, live: boolean): void {
    this.db.prepare(`INSERT INTO users (user_id, registered, live) VALUES (?, 1, ?)
      ON CONFLICT(user_id) DO UPDATE SET registered = 1, live = excluded.live, deactivated_at = NULL`).run(userId, live ? 1 : 0);
  }

  setLive(userId: string, live: boolean): void {
    this.db.prepare('UPDATE users SET live = ?, deactivated_at = NULL WHERE user_id = ?').run(live ? 1 : 0, userId);
  }

  markDisplayName(userId: string, name: string): void {
    this.db.prepare('UPDATE users SET display_name = ? WHERE user_id = ?').run(name, userId);
  }

  markTitle(userId: string, title: string): void {
    this.db.prepare('UPDATE users SET title = ? WHERE user_id = ?').run(title, userId);
  }

  markDeactivated(userId: string, at: number): void {
    this.db.prepare('UPDATE users SET deactivated_at = ? WHERE user_id = ?').run(at, userId);
  }

  rooms(): Map<string, { roomId: string; kind: string }> {
    const rows = this.db.prepare('SELECT alias, room_id, kind FROM rooms').all() as Array<{ alias: string; room_id: string; kind: string }>;
    return new Map(rows.map((r) => [r.alias, { roomId: r.room_id, kind: r.kind }]));
  }

  recordRoom(alias: string, roomId: string, kind: string, initialState: Array<{ type: string; stateKey: string; content: unknown }>): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO rooms (alias, room_id, kind, created_at) VALUES (?, ?, ?, ?)').run(alias, roomId, kind, Date.now());
      this.db.prepare('DELETE FROM room_state WHERE alias = ?').run(alias);
      for (const s of initialState) this.recordState(alias, s.type, s.stateKey, s.content);
    })();
  }

  /** Hashes of the state events provisioning last wrote, keyed alias\0type\0stateKey. */
  stateHashes(): Map<string, string> {
    const rows = this.db.prepare('SELECT alias, type, state_key, hash FROM room_state').all() as Array<{ alias: string; type: string; state_key: string; hash: string }>;
    return new Map(rows.map((r) => [stateKey(r.alias, r.type, r.state_key), r.hash]));
  }

  recordState(alias: string, type: string, key: string, content: unknown): void {
    this.db.prepare('INSERT OR REPLACE INTO room_state (alias, type, state_key, hash) VALUES (?, ?, ?, ?)').run(alias, type, key, contentHash(content));
  }

  memberships(): Map<string, { alias: string; userId: string; membership: Membership }> {
    const rows = this.db.prepare('SELECT alias, user_id, membership FROM memberships').all() as Array<{ alias: string; user_id: string; membership: Membership }>;
    return new Map(rows.map((r) => [membershipKey(r.alias, r.user_id), { alias: r.alias, userId: r.user_id, membership: r.membership }]));
  }

  recordMembership(alias: string, userId: string, membership: Membership): void {
    this.db.prepare('INSERT OR REPLACE INTO memberships (alias, user_id, membership, at) VALUES (?, ?, ?, ?)').run(alias, userId, membership, Date.now());
  }

  recordMemberships(rows: ReadonlyArray<{ alias: string; userId: string; membership: Membership }>): void {
    const now = Date.now();
    const insert = this.db.prepare('INSERT OR REPLACE INTO memberships (alias, user_id, membership, at) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => { for (const r of rows) insert.run(r.alias, r.userId, r.membership, now); })();
  }

  forgetMembership(alias: string, userId: string): void {
    this.db.prepare('DELETE FROM memberships WHERE alias = ? AND user_id = ?').run(alias, userId);
  }

  /** The homeserver no longer has what we recorded (it was reset): start again from nothing. */
  reset(): void {
    this.db.exec('DELETE FROM users; DELETE FROM rooms; DELETE FROM room_state; DELETE FROM memberships; DELETE FROM meta;');
  }
}

export { stateKey };
