import type { Command } from 'commander';
import { placeAgent } from '../../protocol/placement.ts';
import { ROUTER_STATUS_PATH, SCALE_PATH } from '../../protocol/wire.ts';
import { fleetContext, orgFor } from '../context.ts';
import { shardSecretFor } from '../credentials.ts';

interface RouterHealth { shards: Array<{ shardId: string; url: string; unfinished: number }> }

async function routerHealth(routerUrl: string, secret: string): Promise<RouterHealth | undefined> {
  try {
    const res = await fetch(new URL(ROUTER_STATUS_PATH, routerUrl), { headers: { authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(3000) });
    return res.ok ? ((await res.json()) as RouterHealth) : undefined;
  } catch {
    return undefined;
  }
}

export function registerPlacementCommands(program: Command): void {
  program.command('where')
    .description('which shard hosts an agent (live shards from the running router, else the configured count)')
    .argument('<agent>', 'matrix id, localpart or name')
    .action(async (ref: string) => {
      const ctx = fleetContext();
      const org = orgFor(ctx.config, ctx.root);
      const person = org.resolve(ref);
      if (!person) throw new Error(`nobody matches "${ref}"; see ./fleet org list`);
      if (person.human) {
        console.log(`${person.matrixId} is a human: no shard hosts them`);
        return;
      }
      const health = await routerHealth(ctx.config.router.url, shardSecretFor(ctx));
      const shards = health?.shards.map((s) => s.shardId)
        ?? Array.from({ length: ctx.config.shards.count }, (_, i) => `shard-${i}`);
      const shard = placeAgent(person.matrixId, shards);
      const source = health ? `${shards.length} live shard(s)` : `router not reachable; computed for the configured ${shards.length} shard(s)`;
      console.log(`${person.matrixId} (${person.name}, ${person.title}) → ${shard ?? 'no shard'}   [${source}]`);
    });

  program.command('scale')
    .description('change the number of shards of the running fleet, live')
    .argument('<count>', 'shards wanted', (v) => Number.parseInt(v, 10))
    .action(async (count: number) => {
      const ctx = fleetContext();
      const res = await fetch(new URL(SCALE_PATH, ctx.config.router.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${shardSecretFor(ctx)}` },
        body: JSON.stringify({ count }),
      }).catch((err: Error) => {
        throw new Error(`the router at ${ctx.config.router.url} is not reachable (${err.message}); is the fleet up?`);
      });
      const body = (await res.json()) as { error?: string; shards?: string[] };
      if (!res.ok) throw new Error(`scale refused: ${body.error ?? res.status}`);
      console.log(`scaled to ${count} shard(s); live now: ${body.shards?.join(', ')} (new shards join within a few seconds)`);
    });
}
