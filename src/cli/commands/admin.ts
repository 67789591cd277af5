import type { Command } from 'commander';
import { ADMIN_COMMAND_PATH } from '../../admin/commands.ts';
import { fleetContext } from '../context.ts';
import { shardSecretFor } from '../credentials.ts';

/** `./fleet admin <command…>`: the #fleet-admin commands against the running router, for scripts (fleet secret). */
export function registerAdminCommand(program: Command): void {
  program.command('admin')
    .description('run a #fleet-admin command against the running router (./fleet admin help); exits 1 when it is refused or fails')
    .argument('<command...>', 'the command and its arguments, e.g. pause aaron.phillips')
    .option('--html', 'print the HTML answer instead of the plain text')
    // The router parses the command's own flags (--page N).
    .allowUnknownOption()
    .action(async (words: string[], opts: { html?: boolean }) => {
      const ctx = fleetContext();
      const url = new URL(ADMIN_COMMAND_PATH, ctx.config.router.url);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${shardSecretFor(ctx)}` },
        body: JSON.stringify({ command: words.join(' ') }),
        signal: AbortSignal.timeout(60_000),
      }).catch((err: Error) => {
        throw new Error(`the router at ${ctx.config.router.url} is not reachable (${err.message}); is the fleet up?`);
      });
      const body = (await res.json()) as { ok?: boolean; text?: string; html?: string; error?: string };
      if (!res.ok) throw new Error(`the router refused the command: ${body.error ?? res.status}`);
      console.log(opts.html ? body.html : body.text);
      if (!body.ok) process.exitCode = 1;
    });
}
