import type { Db } from '../store/sqlite.ts';

export type Outcome = 'ok' | 'refused' | 'failed';

export interface AuditEntry { id: number; at: number; sender: string; command: string; outcome: Outcome; detail: string | null }

/** Every admin command, kept in the router's SQLite (table admin_audit): who, when, what, how it ended. */
export class AuditLog {
  private readonly add;
  private readonly last;

  constructor(db: Db) {
    this.add = db.prepare('INSERT INTO admin_audit (at, sender, command, outcome, detail) VALUES (?, ?, ?, ?, ?)');
    this.last = db.prepare('SELECT id, at, sender, command, outcome, detail FROM admin_audit ORDER BY id DESC LIMIT ?');
  }

  record(sender: string, command: string, outcome: Outcome, detail?: string): void {
    this.add.run(Date.now(), sender, command.slice(0, 500), outcome, detail?.slice(0, 300) ?? null);
  }

  /** The newest `n` entries, newest first. */
  recent(n: number): AuditEntry[] {
    return this.last.all(n) as AuditEntry[];
  }
}
