import type { Bridge } from 'matrix-appservice-bridge';
import type { Logger } from '../log.ts';
import type { UserProvisioner } from '../matrix/provisioning.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { Db } from '../store/sqlite.ts';
import { heartbeatSchema, type HeartbeatConfig } from './config.ts';
import { HeartbeatRooms } from './rooms.ts';
import { HeartbeatScheduler, type OpenTasks } from './scheduler.ts';

export { heartbeatSchema, type HeartbeatConfig } from './config.ts';
export { HeartbeatScheduler, type OpenTasks } from './scheduler.ts';
export { HEARTBEAT_MARKER } from './rooms.ts';

export interface RouterHeartbeatOptions {
  config?: HeartbeatConfig;
  db: Db;
  bridge: Bridge;
  provisioner: UserProvisioner;
  org: OrgDirectory;
  botId: string;
  tasks: OpenTasks;
  isActive(agentId: string): boolean;
  overBudget(agentId: string): boolean;
  log: Logger;
  /** A simulated clock (tests); the router's timer still ticks, on real time. */
  now?: () => number;
  everyMs?: number;
}

/** The router's heartbeat: the scheduler on a timer, beats posted in the agents' heartbeat rooms. */
export function routerHeartbeat(o: RouterHeartbeatOptions): { scheduler: HeartbeatScheduler; stop(): void } {
  const config = o.config ?? heartbeatSchema.parse({});
  const rooms = new HeartbeatRooms({ db: o.db, bridge: o.bridge, provisioner: o.provisioner, org: o.org, log: o.log, botId: o.botId });
  const scheduler = new HeartbeatScheduler({
    config, org: o.org, tasks: o.tasks, isActive: o.isActive, overBudget: o.overBudget, ...(o.now ? { now: o.now } : {}),
    beat: (agentId, open, at) => rooms.beat(agentId, open, o.tasks.openTasksOf(agentId), at),
  });
  const timer = setInterval(() => scheduler.tick(), o.everyMs ?? 30_000);
  timer.unref();
  return { scheduler, stop: () => clearInterval(timer) };
}
