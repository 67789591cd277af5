import type { Db } from '../store/sqlite.ts';

/** Days of counts kept; only today's matter, yesterday's stay until the day is surely over everywhere. */
const KEEP_DAYS = 2;

/** The UTC calendar day of `d`, as the ledger keys it. */
export const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * Agents' messages to humans, one row per message (its transaction id) and UTC day: the router's fleet-wide count,
 * and each shard's own for when the router cannot be asked. Keyed by message, so a retried or re-run turn sending
 * the same message again neither counts twice nor is refused.
 */
export class HumanMessageLedger {
  readonly #take: (txn: string, human: string, day: string, limit: number) => boolean;
  readonly #record: (txn: string, human: string, day: string) => void;
  readonly #known;

  constructor(db: Db) {
    db.exec('CREATE TABLE IF NOT EXISTS human_messages (txn TEXT PRIMARY KEY, human TEXT NOT NULL, day TEXT NOT NULL)');
    db.exec('CREATE INDEX IF NOT EXISTS human_messages_by_day ON human_messages (human, day)');
    this.#known = db.prepare<[string], { txn: string }>('SELECT txn FROM human_messages WHERE txn = ?');
    const count = db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM human_messages WHERE human = ? AND day = ?');
    const insert = db.prepare('INSERT OR IGNORE INTO human_messages (txn, human, day) VALUES (?, ?, ?)');
    const prune = db.prepare('DELETE FROM human_messages WHERE day < ?');
    this.#record = (txn, human, day) => {
      prune.run(utcDay(new Date(Date.parse(day) - KEEP_DAYS * 86_400_000)));
      insert.run(txn, human, day);
    };
    // One transaction: two callers asking at once cannot both take the last message of the day.
    this.#take = db.transaction((txn: string, human: string, day: string, limit: number): boolean => {
      if (this.#known.get(txn)) return true;
      if (count.get(human, day)!.n >= limit) return false;
      this.#record(txn, human, day);
      return true;
    });
  }

  /** Counts the message `txn` to `human` on `day` unless `limit` are counted already; true when it may go. */
  take(txn: string, human: string, day: string, limit: number): boolean {
    return this.#take(txn, human, day, limit);
  }

  /** Notes a message allowed by someone else (the router), whatever this ledger's count. */
  record(txn: string, human: string, day: string): void {
    this.#record(txn, human, day);
  }

  has(txn: string): boolean {
    return this.#known.get(txn) !== undefined;
  }
}
