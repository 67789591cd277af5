import type { RecordedRequest } from '../../src/providers/scripted/server.ts';
import type { SeenMessage } from './human.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms; the error names what never happened. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

/** Matches a message posted as a Matrix reply to `eventId`. */
export const repliesTo = (eventId: string) => (m: SeenMessage): boolean =>
  (m.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']?.event_id === eventId;

/**
 * Model calls that started a turn of `agentId` on a message naming `marker`: the request's last message is that
 * user message (tool rounds end with a tool result). Exactly-once is counted here, not in visible replies.
 */
export const turnStarts = (model: { requests(): RecordedRequest[] }, agentId: string, marker: string): number =>
  model.requests().filter((r) => {
    const last = r.messages.at(-1);
    return r.agentId === agentId && last?.role === 'user' && last.content.includes(marker);
  }).length;
