import { txnId } from '../matrix/txn-id.ts';
import type { RoomEvent } from '../router/mentions.ts';
import type { Answer } from './answer.ts';

/** Sends one event as the bot with a transaction id (PUT /send): a retried send posts once. */
export type BotSend = (roomId: string, type: string, content: Record<string, unknown>, txnId: string) => Promise<void>;

/**
 * The command typed in a message, wherever the bot answers commands (#fleet-admin, a direct chat with it): plain
 * text only. Notices (bots, the fleet's own answers) and edits are not commands; events without content neither.
 */
export function commandText(event: RoomEvent): string | undefined {
  if (event.type !== 'm.room.message') return undefined;
  const content = event.content;
  if (typeof content !== 'object' || content === null) return undefined;
  const { msgtype, body, 'm.relates_to': relatesTo } = content as { msgtype?: unknown; body?: unknown; 'm.relates_to'?: { rel_type?: unknown } };
  if (msgtype !== 'm.text' || typeof body !== 'string' || relatesTo?.rel_type === 'm.replace') return undefined;
  return body;
}

/**
 * Answers a command: a notice (plain body and HTML) in reply to it, then ✅ or ⛔ on it. Transaction ids come from
 * the command's event id (and `kind`, one per place), so the same command answered again posts nothing new.
 */
export async function answerCommand(send: BotSend, event: RoomEvent, answer: Answer, kind: string): Promise<void> {
  await send(event.room_id, 'm.room.message', {
    msgtype: 'm.notice', body: answer.text, format: 'org.matrix.custom.html', formatted_body: answer.html,
    'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } },
  }, txnId(kind, event.event_id));
  await send(event.room_id, 'm.reaction', {
    'm.relates_to': { rel_type: 'm.annotation', event_id: event.event_id, key: answer.ok ? '✅' : '⛔' },
  }, txnId(`${kind}-reaction`, event.event_id));
}
