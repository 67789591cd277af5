import { createHash } from 'node:crypto';

/**
 * The one transaction-id scheme: `ocf.<kind>.<hash of the parts>`. A send that means the same thing (same kind,
 * same parts) gets the same id on every retry, from any process, so the homeserver posts it once.
 */
export function txnId(kind: string, ...parts: string[]): string {
  return `ocf.${kind}.${createHash('sha256').update(parts.join('\0')).digest('base64url').slice(0, 32)}`;
}

/** The transaction id of an agent's answer to an event. */
export const replyTxnId = (eventId: string, agentId: string): string => txnId('r', eventId, agentId);
