import type { Bridge } from 'matrix-appservice-bridge';
import type { OrgDirectory } from '../org/directory.ts';
import type { Db } from '../store/sqlite.ts';
import { withMatrixRetry } from './retry.ts';

/**
 * Creates an employee's Matrix user the first time it is needed (a user query, a first invite or a first reply):
 * registered through the appservice (Conduit requires the user to exist before the appservice acts as it) with the
 * display name "First Last". Remembered in SQLite so a restart does not redo it.
 */
export class UserProvisioner {
  private readonly bridge: Bridge;
  private readonly org: OrgDirectory;
  private readonly has;
  private readonly add;
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(bridge: Bridge, org: OrgDirectory, db: Db) {
    this.bridge = bridge;
    this.org = org;
    this.has = db.prepare('SELECT 1 FROM provisioned_users WHERE user_id = ?');
    this.add = db.prepare('INSERT OR IGNORE INTO provisioned_users (user_id, at) VALUES (?, ?)');
  }

  /** Throws for anyone the fleet must not act as: not in the org, or a human. */
  async ensure(userId: string): Promise<void> {
    if (!this.org.isAgent(userId)) throw new Error(`${userId} is not an agent of this fleet`);
    if (this.has.get(userId)) return;
    let pending = this.inFlight.get(userId);
    if (!pending) {
      pending = this.provision(userId).finally(() => this.inFlight.delete(userId));
      this.inFlight.set(userId, pending);
    }
    await pending;
  }

  private async provision(userId: string): Promise<void> {
    const person = this.org.get(userId)!;
    const intent = this.bridge.getIntent(userId);
    // Retried like any homeserver call: a user that could not be created now is needed again a moment later.
    await withMatrixRetry(() => intent.ensureRegistered());
    await withMatrixRetry(() => intent.setDisplayName(person.name));
    this.add.run(userId, Date.now());
  }
}
