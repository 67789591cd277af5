import { openDatabase, type Db, type Migration } from '../store/sqlite.ts';

const migrations: Migration[] = [
  (db) => db.exec(`
    -- Every transaction id the homeserver sent, so a re-sent transaction is acknowledged without re-processing.
    CREATE TABLE transactions (txn_id TEXT PRIMARY KEY, received_at INTEGER NOT NULL, events INTEGER NOT NULL);
    -- The durable inbox: events are written here before the transaction is acknowledged.
    CREATE TABLE inbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      event_id TEXT NOT NULL UNIQUE,
      room_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT
    );
    CREATE INDEX inbox_pending ON inbox (state, seq);
    -- Events that could not be accepted as Matrix events, kept whole for inspection rather than dropped.
    CREATE TABLE rejected_events (id INTEGER PRIMARY KEY AUTOINCREMENT, txn_id TEXT NOT NULL, reason TEXT NOT NULL,
      payload TEXT NOT NULL, received_at INTEGER NOT NULL);
    CREATE TABLE rooms (room_id TEXT PRIMARY KEY, is_direct INTEGER NOT NULL DEFAULT 0, members_known INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE members (room_id TEXT NOT NULL, user_id TEXT NOT NULL, membership TEXT NOT NULL,
      PRIMARY KEY (room_id, user_id));
    -- Senders of recent messages, to tell whether a reply answers an agent.
    CREATE TABLE event_senders (event_id TEXT PRIMARY KEY, sender TEXT NOT NULL, at INTEGER NOT NULL);
    CREATE TABLE provisioned_users (user_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
  `),
  (db) => db.exec(`
    -- Deliveries a shard accepted but has not reported finished. If the shard dies they go to the agents' new shard.
    CREATE TABLE handed (
      delivery_id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL,
      shard_id TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      handed_at INTEGER NOT NULL
    );
    CREATE INDEX handed_shard ON handed (shard_id, seq);
  `),
  (db) => db.exec(`
    -- "Not staffed" notices sent, so an employee without an agent says so once per room and day, not per message.
    CREATE TABLE not_staffed_notices (room_id TEXT NOT NULL, agent_id TEXT NOT NULL, day TEXT NOT NULL,
      PRIMARY KEY (room_id, agent_id, day));
  `),
  (db) => db.exec(`
    -- The outbox: every delivery routing decided, written in the same transaction that marks its event done, until
    -- its shard reports it finished. holder is the shard it was last handed to (NULL: not yet, or given back).
    CREATE TABLE outbox (
      delivery_id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL,
      agent_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      holder TEXT,
      handed_at INTEGER,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX outbox_order ON outbox (seq);
    INSERT INTO outbox (delivery_id, seq, agent_id, payload, holder, handed_at, created_at)
      SELECT delivery_id, seq, agent_id, payload, shard_id, handed_at, handed_at FROM handed;
    DROP TABLE handed;
    -- One claim per agent across the fleet: the shard process that may run that agent's turn for one delivery.
    -- Renewed by the holder's heartbeats; persisted so a restarted router still knows who is working.
    CREATE TABLE claims (
      agent_id TEXT PRIMARY KEY,
      delivery_id TEXT NOT NULL,
      shard_id TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      renewed_at INTEGER NOT NULL
    );
    CREATE INDEX claims_delivery ON claims (delivery_id);
  `),
  (db) => db.exec(`
    -- Operator controls from #fleet-admin and ./fleet admin (controls.ts): they outlive a router restart.
    CREATE TABLE paused_agents (agent_id TEXT PRIMARY KEY, by TEXT NOT NULL, at INTEGER NOT NULL);
    -- Overrides of config agents.live: staffed 1 adds an agent to the live set, 0 takes it out.
    CREATE TABLE staffing_overrides (agent_id TEXT PRIMARY KEY, staffed INTEGER NOT NULL, by TEXT NOT NULL, at INTEGER NOT NULL);
    CREATE TABLE draining_shards (shard_id TEXT PRIMARY KEY, by TEXT NOT NULL, at INTEGER NOT NULL);
    -- Every admin command: who, when, what, and how it ended (audit [n]).
    CREATE TABLE admin_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, sender TEXT NOT NULL,
      command TEXT NOT NULL, outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')), detail TEXT);
  `),
  (db) => db.exec(`
    -- Senders of recent messages, per room: a reply names an event of its own room, never one elsewhere.
    DROP TABLE event_senders;
    CREATE TABLE event_senders (room_id TEXT NOT NULL, event_id TEXT NOT NULL, sender TEXT NOT NULL, at INTEGER NOT NULL,
      PRIMARY KEY (room_id, event_id));
    CREATE INDEX event_senders_at ON event_senders (at);
  `),
];

/** The router acknowledges to the homeserver and to shards from this file: commits must survive a power loss. */
export function openRouterStore(path: string): Db {
  return openDatabase(path, migrations, { synchronous: 'FULL' });
}
