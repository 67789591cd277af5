import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readRegistrationFile, userNamespaceRegex, userNamespaces, writeRegistration } from '../../matrix/registration.ts';
import { fleetContext, orgFor } from '../context.ts';
import { registrationContent } from '../credentials.ts';

export function registerRegistrationCommand(program: Command): void {
  program.command('registration')
    .description('write an appservice registration for the org (give it to your homeserver), with fresh random tokens')
    .option('--out <file>', 'where to write it (default: appservice.registration from the config)')
    .option('--url <url>', 'how the homeserver reaches the router (default: router.url from the config)')
    .option('--keep-tokens', 'keep the tokens of the existing file (or FLEET_AS_TOKEN/FLEET_HS_TOKEN): after a hire, only the user namespace changes')
    .action((opts: { out?: string; url?: string; keepTokens?: boolean }) => {
      const ctx = fleetContext();
      const org = orgFor(ctx.config, ctx.root);
      const out = opts.out ? resolve(opts.out) : ctx.registrationPath;
      const tokens = opts.keepTokens ? existingTokens(out) : {};
      const content = registrationContent(ctx, org, { ...(opts.url ? { url: opts.url } : {}), ...tokens });
      writeRegistration(out, content);
      const [regex = ''] = userNamespaces(content);
      const form = regex === userNamespaceRegex(ctx.config.domain, [ctx.config.appservice.senderLocalpart, ...org.agents().map((p) => p.localpart)])
        ? 'the agents listed' : `every localpart but the org's humans (${org.humans().length})`;
      console.log(`wrote ${out} (mode 0600) for ${org.agents().length} agents (namespace: ${form}, ${Buffer.byteLength(regex)} bytes), `
        + `${opts.keepTokens ? 'same tokens' : 'fresh tokens'}. Give it to the homeserver again: Synapse reloads it on restart, Conduit with \`register-appservice\`.`);
    });
}

function existingTokens(file: string): { asToken: string; hsToken: string } {
  const raw = existsSync(file) ? readRegistrationFile(file) : {};
  const asToken = process.env.FLEET_AS_TOKEN ?? raw.as_token;
  const hsToken = process.env.FLEET_HS_TOKEN ?? raw.hs_token;
  if (typeof asToken !== 'string' || typeof hsToken !== 'string') {
    throw new Error(`--keep-tokens: no tokens to keep (no ${file}, and FLEET_AS_TOKEN/FLEET_HS_TOKEN unset)`);
  }
  return { asToken, hsToken };
}
