import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
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
      writeRegistration(out, freshRegistration(ctx.root, ctx.config, opts.url));
      console.log(`wrote ${out} with fresh tokens (mode 0600). Restart the homeserver after giving it this file.`);
    });
}

/** The committed registration.yaml is the template (id, sender); the config supplies domain and url. */
export function freshRegistration(root: string, config: ReturnType<typeof fleetContext>['config'], url?: string): Record<string, unknown> {
  const template = parseYaml(readFileSync(resolve(root, 'registration.yaml'), 'utf8')) as Record<string, unknown>;
  return buildRegistration({
    id: config.appservice.id ?? String(template.id),
    url: url ?? config.router.url,
    domain: config.domain,
    senderLocalpart: config.appservice.senderLocalpart ?? String(template.sender_localpart),
  });
}
