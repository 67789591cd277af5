import type { Db } from '../store/sqlite.ts';

/** Days of counts kept; only today's matter, yesterday's stay until the day is surely over everywhere. */
const KEEP_DAYS = 2;

/**
 * How many messages agents may send one human per calendar day (UTC), so no human is flooded however many agents
 * report to them. Counted in the shard's SQLite by message (its transaction id): a retried or re-run turn sending
 * the same message again neither counts twice nor is refused. The count is per shard: with n shards a human gets at
 * most n × the limit (the agents that write to them usually sit on few shards).
 */
export class HumanMessageQuota {
  readonly #perDay: number;
  readonly #now: () => Date;
  readonly #reserve: (txn: string, human: string, day: string) => boolean;

  constructor(db: Db, perDay: number, now: () => Date = () => new Date()) {
    this.#perDay = perDay;
    this.#now = now;
    db.exec('CREATE TABLE IF NOT EXISTS human_messages (txn TEXT PRIMARY KEY, human TEXT NOT NULL, day TEXT NOT NULL)');
    db.exec('CREATE INDEX IF NOT EXISTS human_messages_by_day ON human_messages (human, day)');
    const known = db.prepare<[string], { txn: string }>('SELECT txn FROM human_messages WHERE txn = ?');
    const count = db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM human_messages WHERE human = ? AND day = ?');
    const insert = db.prepare('INSERT INTO human_messages (txn, human, day) VALUES (?, ?, ?)');
    const prune = db.prepare('DELETE FROM human_messages WHERE day < ?');
    // One transaction: two turns of this shard asking at once cannot both take the last message of the day.
    this.#reserve = db.transaction((txn: string, human: string, day: string): boolean => {
      if (known.get(txn)) return true;
      if (count.get(human, day)!.n >= this.#perDay) return false;
      prune.run(dayOf(new Date(this.#now().getTime() - KEEP_DAYS * 86_400_000)));
      insert.run(txn, human, day);
      return true;
    });
  }

  /** Takes one of today's messages to `human` for the message `txn`; undefined when allowed, else why not. */
  take(txn: string, human: string): string | undefined {
    if (this.#reserve(txn, human, dayOf(this.#now()))) return undefined;
    return `agents have already sent this person ${this.#perDay} messages today (the limit).`;
  }
}

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}
