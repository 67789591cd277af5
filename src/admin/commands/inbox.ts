import { answer, refuse } from '../answer.ts';
import type { CommandSpec } from '../context.ts';
import { oneLine, withoutSecrets } from '../format.ts';

const PARKED_SHOWN = 100;

/** parked, replay: events that failed every attempt. */
export const inboxCommands: CommandSpec[] = [
  {
    name: 'parked', category: 'Inbox', args: '', changes: false,
    summary: 'events that failed every attempt: seq, room, sender, attempts, last error',
    run(ctx, { page }) {
      const rows = ctx.parked(PARKED_SHOWN + 1);
      if (rows.length === 0) return answer(['No parked events.']);
      return answer([`Parked events, oldest first ("replay <seq>" or "replay all")${rows.length > PARKED_SHOWN ? `; the first ${PARKED_SHOWN} shown` : ''}:`, {
        headers: ['seq', 'room', 'sender', 'attempts', 'last error'], page,
        rows: rows.slice(0, PARKED_SHOWN).map((r) => [`#${r.seq}`, r.roomId, r.sender, String(r.attempts), oneLine(withoutSecrets(r.lastError ?? 'no error recorded'))]),
      }]);
    },
  },
  {
    name: 'replay', category: 'Inbox', args: '<seq|all>', changes: true,
    summary: 'route parked events again',
    run(ctx, { args }) {
      const raw = args[0] ?? '';
      const target = raw === 'all' ? 'all' : Number(raw.replace(/^#/, ''));
      if (target !== 'all' && (!Number.isInteger(target) || target < 1)) return refuse('replay needs the number of a parked event (see "parked") or "all".');
      const n = ctx.replay(target);
      if (n === 0) return refuse(target === 'all' ? 'No parked events.' : `#${target} is not parked.`);
      return answer([`Queued ${n} event(s) again.`]);
    },
  },
];
