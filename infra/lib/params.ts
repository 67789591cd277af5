import { z } from 'zod';

/**
 * Deployment parameters, from CDK context (`cdk deploy -c shardCount=4 -c imageUri=...` or cdk.json). The CLI
 * passes every -c value as a string, so numbers and booleans are coerced here.
 */
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const int = (min: number, max: number) =>
  z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(min).max(max);

const fargateCpu = z.coerce.number({ error: 'must be a whole number' }).int()
  .refine((v) => [256, 512, 1024, 2048, 4096, 8192, 16384].includes(v), 'must be a Fargate cpu size');

export const fleetParamsSchema = z.object({
  /** The Matrix server name: every employee is @first.last:<domain>. Fixed once Conduit has created its database. */
  domain: z.string().regex(/^[a-z0-9.-]+$/i, 'must be a Matrix server name such as anycompany.corp').default('anycompany.corp'),
  /** Shard tasks the router keeps running; each hosts many agents (~1001 agents / shardCount). */
  shardCount: int(1, 1000).default(2),
  /**
   * The router sets the shard count from load between autoscaleMin and autoscaleMax (config shards.autoscale,
   * src/router/autoscaler.ts); shardCount is then the count it starts with.
   */
  autoscale: bool.default(false),
  autoscaleMin: int(1, 1000).default(1),
  autoscaleMax: int(1, 1000).default(8),
  /** The fleet image (shards/Dockerfile), e.g. 111122223333.dkr.ecr.us-east-1.amazonaws.com/open-claw-fleet:v1. */
  imageUri: z.string({ error: 'required: the fleet image, e.g. -c imageUri=<account>.dkr.ecr.<region>.amazonaws.com/open-claw-fleet:<tag>' }).min(1),
  bedrockModelId: z.string().min(1).default('us.anthropic.claude-sonnet-4-5-20250929-v1:0'),
  /** Region Bedrock is called in; default: the stack's region. */
  bedrockRegion: z.string().optional(),
  conduitImage: z.string().min(1).default('matrixconduit/matrix-conduit:v0.10.12'),
  /** Private DNS namespace for Cloud Map: conduit.<namespace>, router.<namespace>. */
  namespace: z.string().min(1).default('fleet.internal'),
  maxAzs: int(1, 6).default(2),
  /** 0 requires vpcEndpoints=true and a conduitImage in ECR (Docker Hub is not reachable without NAT). */
  natGateways: int(0, 6).default(1),
  /** Interface endpoints for ECR, CloudWatch Logs, Secrets Manager and Bedrock, so that traffic stays in the VPC. */
  vpcEndpoints: bool.default(false),
  /**
   * Each shard task. docs/benchmarks.md: 1000 hibernated agents in 233 MiB, 32 turns at once without a measurable
   * rise, ~40 ms of runtime CPU per turn: half a vCPU and 1 GiB leave room for real models' larger contexts.
   */
  shardCpu: fargateCpu.default(512),
  shardMemoryMiB: int(512, 122_880).default(1024),
  /** Conduit's task: its one RocksDB writer is what a busier fleet waits on (docs/deploy-aws.md, sizing). */
  conduitCpu: fargateCpu.default(1024),
  conduitMemoryMiB: int(512, 122_880).default(2048),
  /** Run shards on FARGATE_SPOT (about 70% below on-demand); `onDemandShards` of them stay on FARGATE. */
  spot: bool.default(true),
  /** Shards on on-demand capacity whatever Spot does (the base of the capacity provider strategy). */
  onDemandShards: int(0, 1000).default(1),
  /** An EC2 instance with no inbound port that `./fleet connect` port-forwards through (Session Manager). */
  bastion: bool.default(true),
  /** Local port `./fleet connect` gives the homeserver: the web chat in the browser talks to it there. */
  connectHomeserverPort: int(1, 65535).default(6167),
  /** Where CloudWatch alarms are mailed (an SNS subscription to confirm); empty: the topic only. */
  alarmEmail: z.string().email('must be an e-mail address').optional(),
  /**
   * Lets the first human (the CEO, who becomes Conduit's admin) register with a token from Secrets Manager.
   * Deploy once with it, register, register the appservice, then deploy again without it.
   */
  bootstrapRegistration: bool.default(false),
});

export type FleetParams = z.infer<typeof fleetParamsSchema>;

/** Reads the parameters from a context lookup; throws one error listing every bad or missing value. */
export function fleetParams(context: (key: string) => unknown): FleetParams {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(fleetParamsSchema.shape)) {
    const value = context(key);
    if (value !== undefined) raw[key] = value;
  }
  const parsed = fleetParamsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  -c ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid CDK context for the fleet stack:\n${problems.join('\n')}`);
  }
  if (parsed.data.autoscale && parsed.data.autoscaleMin > parsed.data.autoscaleMax) {
    throw new Error('Invalid CDK context for the fleet stack:\n  -c autoscaleMin must not exceed -c autoscaleMax');
  }
  if (parsed.data.natGateways === 0 && !parsed.data.vpcEndpoints) {
    throw new Error('Invalid CDK context for the fleet stack:\n  -c natGateways=0 needs -c vpcEndpoints=true (tasks could not pull images or reach AWS APIs)');
  }
  return parsed.data;
}
