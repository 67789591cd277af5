import type { Bridge } from 'matrix-appservice-bridge';
import type { Logger } from '../log.ts';
import type { AgentMatrix } from '../matrix/agent-actions.ts';
import type { UserProvisioner } from '../matrix/provisioning.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { Db } from '../store/sqlite.ts';
import { matrixTaskPoster } from './matrix-poster.ts';
import { TaskNotifier } from './notifier.ts';
import { TaskService } from './service.ts';
import { TaskStore } from './store.ts';

export { TaskService, TaskError, type Actor } from './service.ts';
export { TaskStore } from './store.ts';

export interface RunningTasks {
  service: TaskService;
  notifier: TaskNotifier;
  close(): Promise<void>;
}

/** The tasks component inside the router: store on the router's SQLite, the service, and the notices' sender. */
export function startTasks(o: { db: Db; org: OrgDirectory; bridge: Bridge; agents: AgentMatrix; provisioner: UserProvisioner; botId: string; log: Logger }): RunningTasks {
  const store = new TaskStore(o.db);
  const notifier = new TaskNotifier({
    store, org: o.org, botId: o.botId, log: o.log,
    poster: matrixTaskPoster({ bridge: o.bridge, agents: o.agents, provisioner: o.provisioner, org: o.org, store, botId: o.botId }),
  });
  const service = new TaskService({ store, org: o.org, botId: o.botId, onNotice: () => notifier.kick() });
  notifier.kick(); // what a previous process left unsent
  return { service, notifier, close: () => notifier.close() };
}
