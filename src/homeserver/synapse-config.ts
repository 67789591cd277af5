import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import type { PostgresConnection } from './postgres.ts';

/** Paths as Synapse sees them, inside the chroot. */
export interface InstancePaths {
  dir: string;
  config: string;
  logConfig: string;
  signingKey: string;
  sharedSecret: string;
  macaroonSecret: string;
  database: string;
  mediaStore: string;
  appservice: string;
}

export function instancePaths(dir: string): InstancePaths {
  return {
    dir,
    config: `${dir}/homeserver.yaml`,
    logConfig: `${dir}/log.yaml`,
    signingKey: `${dir}/signing.key`,
    sharedSecret: `${dir}/registration_shared_secret`,
    macaroonSecret: `${dir}/macaroon_secret_key`,
    database: `${dir}/homeserver.db`,
    mediaStore: `${dir}/media_store`,
    appservice: `${dir}/appservice.yaml`,
  };
}

// Every limiter Synapse 1.160 reads (synapse/config/ratelimiting.py) that a local user or our appservice's
// puppets can hit. Tests and the fleet's start-up burst (1001 puppets joining, humans creating many rooms) would
// otherwise be throttled with 429s that say nothing about the fleet.
const UNLIMITED = { per_second: 1000, burst_count: 10000 };
const RATE_LIMITS = {
  rc_message: UNLIMITED,
  rc_registration: UNLIMITED,
  rc_registration_token_validity: UNLIMITED,
  rc_login: { address: UNLIMITED, account: UNLIMITED, failed_attempts: UNLIMITED },
  rc_admin_redaction: UNLIMITED,
  rc_joins: { local: UNLIMITED, remote: UNLIMITED },
  rc_joins_per_room: UNLIMITED,
  rc_3pid_validation: UNLIMITED,
  rc_invites: { per_room: UNLIMITED, per_user: UNLIMITED, per_issuer: UNLIMITED },
  rc_third_party_invite: UNLIMITED,
  rc_media_create: UNLIMITED,
  rc_presence: { per_user: UNLIMITED },
  rc_delayed_event_mgmt: UNLIMITED,
  rc_room_creation: UNLIMITED,
  rc_reports: UNLIMITED,
  rc_user_directory: UNLIMITED,
};

export interface SynapseConfigInput {
  serverName: string;
  port: number;
  paths: InstancePaths;
  withAppservice: boolean;
  /** Its own PostgreSQL server (postgres.ts); SQLite in the instance directory when absent. */
  postgres?: PostgresConnection;
}

/** homeserver.yaml: loopback HTTP client API only, SQLite or PostgreSQL, no federation, no open registration. */
export function homeserverYaml(input: SynapseConfigInput): string {
  const { paths } = input;
  const config = {
    server_name: input.serverName,
    public_baseurl: `http://127.0.0.1:${input.port}/`,
    listeners: [
      {
        port: input.port,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        tls: false,
        x_forwarded: false,
        resources: [{ names: ['client'], compress: false }],
      },
    ],
    database: input.postgres
      ? { name: 'psycopg2', args: { user: input.postgres.user, database: input.postgres.database, host: input.postgres.socketDir, cp_min: 5, cp_max: 10 } }
      : { name: 'sqlite3', args: { database: paths.database } },
    log_config: paths.logConfig,
    media_store_path: paths.mediaStore,
    signing_key_path: paths.signingKey,
    registration_shared_secret_path: paths.sharedSecret,
    macaroon_secret_key_path: paths.macaroonSecret,
    enable_registration: false,
    report_stats: false,
    enable_metrics: false,
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    federation_domain_whitelist: [],
    presence: { enabled: false },
    ...(input.withAppservice ? { app_service_config_files: [paths.appservice] } : {}),
    ...RATE_LIMITS,
  };
  return `# Written by open-claw-fleet at every start; edits are overwritten.\n${stringify(config)}`;
}

/** Python logging config: warnings and errors to stderr, which the launcher sends to synapse.out. */
export function logYaml(): string {
  return stringify({
    version: 1,
    formatters: { plain: { format: '%(asctime)s %(levelname)s %(name)s: %(message)s' } },
    handlers: { console: { class: 'logging.StreamHandler', formatter: 'plain', stream: 'ext://sys.stderr' } },
    root: { level: 'WARNING', handlers: ['console'] },
    disable_existing_loggers: false,
  });
}

/** A Synapse signing key file line: `ed25519 <key id> <unpadded base64 of the 32-byte seed>`. */
export function newSigningKey(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const keyId = `a_${randomBytes(3).toString('base64url').replace(/[-_]/g, 'x')}`;
  return `ed25519 ${keyId} ${seed.toString('base64').replace(/=+$/, '')}\n`;
}
