import type { Bridge } from 'matrix-appservice-bridge';
import type { UserProvisioner } from './provisioning.ts';
import { withMatrixRetry } from './retry.ts';

export { replyTxnId } from './txn-id.ts';

/** What a shard does on Matrix as one of its agents. Every call provisions the user first (Conduit needs that). */
export class AgentMatrix {
  private readonly bridge: Bridge;
  private readonly provisioner: UserProvisioner;

  constructor(bridge: Bridge, provisioner: UserProvisioner) {
    this.bridge = bridge;
    this.provisioner = provisioner;
  }

  private async intent(agentId: string) {
    await this.provisioner.ensure(agentId);
    return this.bridge.getIntent(agentId);
  }

  async join(agentId: string, roomId: string): Promise<void> {
    const intent = await this.intent(agentId);
    await withMatrixRetry(() => intent.join(roomId));
  }

  async leave(agentId: string, roomId: string): Promise<void> {
    const intent = await this.intent(agentId);
    await withMatrixRetry(() => intent.leave(roomId));
  }

  /** Best effort: a lost typing notification is not worth delaying a reply for. */
  async typing(agentId: string, roomId: string, on: boolean): Promise<void> {
    try {
      const intent = await this.intent(agentId);
      await intent.sendTyping(roomId, on);
    } catch {
      // ignored on purpose
    }
  }

  /** Sends with an explicit transaction id (PUT /send/{txnId}); returns the event id. */
  async send(agentId: string, roomId: string, content: Record<string, unknown>, txnId: string, type = 'm.room.message'): Promise<string> {
    const intent = await this.intent(agentId);
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`;
    const res = await withMatrixRetry(() => intent.matrixClient.doRequest('PUT', path, null, content) as Promise<{ event_id: string }>);
    return res.event_id;
  }
}
