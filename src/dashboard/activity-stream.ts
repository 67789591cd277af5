import type { FleetView, TurnRecord } from '../router/fleet-view.ts';

/**
 * New turns as they happen, for server-sent events. The view has no push API (it reads the shards on each call), so
 * this polls it. Turns finishing in the same millisecond as the last one seen are caught by asking from that
 * millisecond again and dropping ids already sent.
 */
export async function* newTurns(view: FleetView, opts: { sinceAt: number; pollMs: number; signal: AbortSignal }): AsyncGenerator<TurnRecord> {
  let since = opts.sinceAt;
  let sentAtSince = new Set<string>();
  while (!opts.signal.aborted) {
    const turns = await view.activity({ sinceAt: since - 1 }).catch(() => []);
    for (const t of turns) {
      if (t.at < since || (t.at === since && sentAtSince.has(t.id))) continue;
      if (t.at > since) {
        since = t.at;
        sentAtSince = new Set();
      }
      sentAtSince.add(t.id);
      yield t;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.pollMs);
      opts.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }
}
