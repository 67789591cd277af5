import type { Command } from 'commander';
import { resolve } from 'node:path';
import { buildRegistration, writeRegistration } from '../../router/registration.ts';
import { fleetContext } from '../context.ts';

export function registerRegistrationCommand(program: Command): void {
  program.command('registration')
    .description('write an appservice registration with fresh random tokens (give it to your homeserver)')
    .option('--out <file>', 'where to write it (default: appservice.registration from the config)')
    .option('--url <url>', 'how the homeserver reaches the router (default: router.url from the config)')
    .action((opts: { out?: string; url?: string }) => {
      const ctx = fleetContext();
      const out = opts.out ? resolve(opts.out) : ctx.registrationPath;
      writeRegistration(out, freshRegistration(ctx.config, opts.url));
      console.log(`wrote ${out} with fresh tokens (mode 0600). Restart the homeserver after giving it this file.`);
    });
}

/** A registration for this config (id, sender, domain, router url) with fresh tokens; same shape as registration.yaml. */
export function freshRegistration(config: ReturnType<typeof fleetContext>['config'], url?: string): Record<string, unknown> {
  return buildRegistration({
    id: config.appservice.id,
    url: url ?? config.router.url,
    domain: config.domain,
    senderLocalpart: config.appservice.senderLocalpart,
  });
}
