import type { OrgDirectory } from '../org/directory.ts';
import type { OperatorControls } from '../router/controls.ts';
import type { FleetView } from '../router/fleet-view.ts';
import type { AutoscalerStatus } from '../router/autoscaler.ts';
import type { ParkedEvent } from '../router/inbox.ts';
import type { Budgets } from '../budget/budgets.ts';
import type { Answer } from './answer.ts';
import type { AuditLog } from './audit.ts';
import type { OrgReloader } from './reload.ts';
import type { Role } from './permissions.ts';
import type { TaskService } from '../tasks/service.ts';

/** What admin commands may look at and change; the router supplies it. */
export interface AdminContext {
  org: OrgDirectory;
  /** Shards, agents and their turns, as the dashboard sees them. */
  view: FleetView;
  /** Paused agents, who is staffed, draining shards. */
  controls: OperatorControls;
  audit: AuditLog;
  /** Events parked after their last failed attempt, oldest first (Inbox.parked). */
  parked(limit: number): ParkedEvent[];
  /** Queues parked events again (Inbox.replay, then wake the dispatcher); returns how many. */
  replay(target: number | 'all'): number;
  /** Deliveries for an agent in the router's outbox not finished yet (including those held while it is paused). */
  waiting(agentId: string): number;
  /** Absent when the router does not manage its shards. */
  scale?: (count: number) => Promise<void>;
  /** The autoscaler's state (shards.autoscale); absent when it is off. */
  autoscale?: () => AutoscalerStatus;
  /** Monthly budgets (`budget`, `budget set`, the budget line of `agent`). Absent in routers built without them. */
  budgets?: Budgets;
  /** Posts a notice to #all-employees as the bot; false when that room does not exist. */
  broadcast?: (text: string) => Promise<boolean>;
  /** Restarts one shard through the shard driver (same id, same store). Absent when the router has no driver. */
  restart?: (shardId: string) => Promise<void>;
  /** `reload` / `reload confirm`. Absent when the router cannot read the org again (tests, embedded routers). */
  reload?: OrgReloader;
  /** Tasks (src/tasks): `tasks` lists and changes them. Absent in routers built without them (tests). */
  tasks?: TaskService;
  /** Whether a drained shard will be stopped through the shard driver (else it must be stopped where it runs). */
  canStop?: (shardId: string) => boolean;
}

export interface Caller {
  /** A matrix id, or `cli` for `./fleet admin` (the fleet secret). */
  id: string;
  role: Role;
  /** The room and event the command came from (Matrix callers): a task created there is reported back there. */
  where?: { roomId: string; eventId: string };
  /** Where the command was typed answers only these (a direct chat with the bot); the rest point to `elsewhere`. */
  only?: { commands: ReadonlySet<string>; elsewhere: string };
}

export type Category = 'Fleet' | 'Agents' | 'Inbox' | 'Org' | 'Audit' | 'Work';

export interface Invocation { args: string[]; caller: Caller; page: number }

export interface CommandSpec {
  name: string;
  category: Category;
  /** Argument synopsis for help, e.g. `<who> [n]`. */
  args: string;
  summary: string;
  /** Changes the fleet: admins only. Every human of the org may run the others. */
  changes: boolean;
  run(ctx: AdminContext, call: Invocation): Promise<Answer> | Answer;
}
