import { z } from 'zod';
import { limitsSchema } from '../shard/limits/config.ts';
import { liveAgentsSchema } from '../provision/live.ts';
import { routingSchema } from '../router/mentions/limits.ts';
import { budgetsSchema } from '../budget/config.ts';
import { heartbeatSchema } from '../heartbeat/config.ts';
import { ORG_SIZE_MAX, ORG_SIZE_MIN, SEED_ORG_SIZE } from '../org/scale.ts';
import { NAMESPACE_MODES } from '../matrix/namespace.ts';
import { autoscaleSchema } from '../router/autoscaler.ts';

const port = z.number().int().min(1).max(65535);
const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+/, 'must be an http(s) URL such as http://127.0.0.1:8008');
const domain = z.string().regex(/^[a-z0-9.-]+(:\d+)?$/i, 'must be a Matrix server name such as anycompany.corp');
const localpart = z.string().regex(/^[a-z0-9._=\-/]+$/, 'must be a lower-case Matrix localpart such as morgan.blake');

export const fleetConfigSchema = z.object({
  domain,
  ceo: z.object({
    name: z.string().min(1),
    localpart: localpart.optional(),
    title: z.string().optional(),
  }),
  org: z.object({
    seed: z.number().int().default(42),
    /** Headcount of the generated company, CEO included (src/org/scale.ts); 1001 is the seed's company. */
    size: z.number().int().min(ORG_SIZE_MIN).max(ORG_SIZE_MAX).default(SEED_ORG_SIZE),
    file: z.string().optional(),
    humans: z.array(z.string()).default([]),
    /** Human admins besides the CEO: power 100 in the company's rooms, members of #fleet-admin. */
    admins: z.array(z.string()).default([]),
  }).prefault({}),
  /** Putting the org on the homeserver (docs/provisioning.md). */
  provisioning: z.object({
    /** Rooms with more agents than this are joined lazily: an agent joins when it first answers there. */
    eagerJoinMaxMembers: z.number().int().min(0).default(100),
    /** Homeserver requests in flight at once. */
    concurrency: z.number().int().min(1).max(64).default(16),
  }).prefault({}),
  homeserver: z.object({
    url: z.union([httpUrl, z.literal('')]).default(''),
    local: z.object({
      port: port.default(8008),
      instance: z.string().regex(/^[a-z0-9-]+$/).default('fleet'),
      /** Synapse's database: its own PostgreSQL in the chroot (default for a new instance), or SQLite. */
      database: z.enum(['sqlite', 'postgres']).optional(),
    }).prefault({}),
  }),
  appservice: z.object({
    registration: z.string().min(1),
    id: z.string().min(1),
    senderLocalpart: localpart,
    /** The registration's user namespace: the agents listed, every localpart but the humans', or auto (docs/security.md). */
    namespace: z.enum(NAMESPACE_MODES).default('auto'),
  }),
  router: z.object({
    host: z.string().min(1),
    port,
    url: httpUrl,
  }),
  shards: z.object({
    count: z.number().int().min(1).max(1000),
    host: z.string().min(1),
    basePort: port,
    /** How shards are run: child processes of `up` (local), or ECS tasks started by the router (ecs). */
    driver: z.enum(['local', 'ecs']).default('local'),
    ecs: z.object({
      cluster: z.string().min(1),
      taskDefinition: z.string().min(1),
      subnets: z.array(z.string()).min(1),
      securityGroups: z.array(z.string()).min(1),
      containerName: z.string().default('shard'),
      assignPublicIp: z.boolean().default(false),
      capacityProviderStrategy: z.array(z.object({
        capacityProvider: z.string(), weight: z.number().int().optional(), base: z.number().int().optional(),
      })).optional(),
    }).optional(),
    /** How the router reaches a shard when it is not host:port (containers: the task's private address). */
    advertiseUrl: httpUrl.optional(),
    heartbeatMs: z.number().int().min(100),
    deadAfterMs: z.number().int().min(500),
    /** A claim on an agent's turn outlives its holder's last heartbeat this long (pauses shorter than it cost nothing). */
    claimTtlMs: z.number().int().min(1000).default(60_000),
    /** An orderly stop waits this long for running turns before aborting and handing them on. */
    drainMs: z.number().int().min(0).default(10_000),
    /** How long a paid reply (or join, leave) is retried while the homeserver is down, before it is given up. */
    retryHorizonMs: z.number().int().min(1000).default(6 * 3600_000),
    /** A turn running longer is aborted and answered with an apology. */
    turnTimeoutMs: z.number().int().min(1000).default(120_000),
    /** Hosts shards may announce besides the address their heartbeat comes from (e.g. a service name). */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** The router sets the shard count from load between min and max (off by default; router/autoscaler.ts). */
    autoscale: autoscaleSchema.prefault({}),
  }),
  agents: z.object({
    dataDir: z.string().min(1),
    /** Agents stop auto-replying to a message that has travelled this many agent-to-agent hops. */
    maxHops: z.number().int().min(1).max(100).default(6),
    /** Which employees are live agents: all, none, a list of ids, or counts per department and level. */
    live: liveAgentsSchema.default('all'),
    /** message_colleague calls one message may cause (each wakes another agent). */
    maxColleagueMessagesPerTurn: z.number().int().min(0).max(50).default(3),
    /** message_colleague calls one conversation may cause, counted per shard process. */
    maxColleagueMessagesPerConversation: z.number().int().min(0).max(1000).default(12),
    /** Messages agents may send one human of the org per UTC day (report-backs in the room they asked in excepted). */
    maxMessagesToHumanPerDay: z.number().int().min(0).max(1000).default(20),
  }),
  model: z.object({
    /** Validated in full by the providers' own schema (providerConfigSchema) when a shard starts. */
    default: z.object({ kind: z.string() }).passthrough(),
    /** Port of the local scripted model server `./fleet up` runs for kind: scripted (0: any free port). */
    scriptedPort: port.optional(),
  }).passthrough(),
  /** Rate limits: shard-wide turns, per-agent turns per minute, per-room reply budgets, per-provider rpm/tpm. */
  limits: limitsSchema.prefault({}),
  /** Monthly token/USD budgets per agent, department and fleet (docs/budgets.md); `budget set` overrides live. */
  budgets: budgetsSchema.prefault({}),
  /** Opt-in heartbeat for agents with open tasks (docs/budgets.md); off by default. */
  heartbeat: heartbeatSchema.prefault({}),
  /** Fan-out bounds of mention detection: agents addressed per event, rooms where names in the text count. */
  routing: routingSchema.prefault({}),
  /** The command center `./fleet up` serves: the web chat at / and the dashboard at /dashboard. */
  web: z.object({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8080),
    /** The homeserver as the browser reaches it, when not the fleet's own homeserver URL (e.g. behind a proxy). */
    homeserverUrl: z.union([httpUrl, z.literal('')]).default(''),
    /** A dashboard session ends this long after its login. */
    sessionTtlMinutes: z.number().int().min(1).max(10_080).default(480),
  }).prefault({}),
  /** `./fleet connect`: SSM port forwarding through the stack's bastion (region and stack from here or the flags). */
  connect: z.object({
    /** The CloudFormation stack whose outputs name the bastion, the homeserver and the command center. */
    stackName: z.string().min(1).default('OpenClawFleet'),
    /** Empty: the AWS SDK's own choice (AWS_REGION, AWS_PROFILE's region), never a region written into the code. */
    region: z.string().default(''),
    /** Local ports the two tunnels listen on. */
    homeserverPort: port.default(6167),
    commandCenterPort: port.default(8080),
  }).prefault({}),
  log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) }).default({ level: 'info' }),
});

export type FleetConfig = z.infer<typeof fleetConfigSchema>;
