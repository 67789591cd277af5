import type { Bridge } from 'matrix-appservice-bridge';
import { ADMIN_ROOM_LOCALPART } from '../admin/admin-room.ts';
import { resolveAliasAsBot, sendAsBot } from '../admin/bot.ts';
import type { Logger } from '../log.ts';
import type { OrgDirectory } from '../org/directory.ts';
import { RoomDayNotices } from '../router/not-staffed.ts';
import type { Db } from '../store/sqlite.ts';
import { Budgets } from './budgets.ts';
import type { BudgetsConfig } from './config.ts';
import { ensureBudgetTables } from './tables.ts';

export { Budgets, type BudgetStatus, type Verdict } from './budgets.ts';
export { budgetsSchema, type BudgetsConfig } from './config.ts';

export interface RouterBudgetsOptions {
  db: Db;
  org: OrgDirectory;
  config?: BudgetsConfig;
  bridge: Bridge;
  /** Sends as an agent (the notice comes from the employee the message was for). */
  sendAsAgent(agentId: string, roomId: string, content: Record<string, unknown>, txnId: string): Promise<string>;
  log: Logger;
}

const NO_BUDGETS: BudgetsConfig = { fleet: {}, perAgent: {}, departments: {}, agents: {} };

/** The router's budgets: notices sent as the agent, alerts posted to #fleet-admin as the bot. */
export function routerBudgets(o: RouterBudgetsOptions): Budgets {
  ensureBudgetTables(o.db);
  const notices = new RoomDayNotices({ db: o.db, table: 'budget_notices', kind: 'budget', send: o.sendAsAgent, log: o.log });
  return new Budgets({
    db: o.db, org: o.org, config: o.config ?? NO_BUDGETS, notices, log: o.log,
    async alert(text, txn) {
      const roomId = await resolveAliasAsBot(o.bridge, `#${ADMIN_ROOM_LOCALPART}:${o.org.domain}`);
      if (!roomId) return false;
      await sendAsBot(o.bridge, roomId, 'm.room.message', { msgtype: 'm.notice', body: text }, txn);
      return true;
    },
  });
}
