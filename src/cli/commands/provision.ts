import type { Command } from 'commander';
import { provisionOrg, selectLiveAgents, type ProvisionProgress, type ProvisionResult } from '../../provision/index.ts';
import { trackProvisioning } from '../../provision/status.ts';
import type { OrgDirectory } from '../../org/directory.ts';
import type { LoadedRegistration } from '../../matrix/registration.ts';
import { fleetContext, orgFor, type FleetContext } from '../context.ts';
import { ensureRegistration } from '../credentials.ts';

export function liveAgents(ctx: FleetContext, org: OrgDirectory): Set<string> {
  return selectLiveAgents(org, ctx.config.agents.live);
}

/** Puts the org on the homeserver (users, rooms, spaces, power levels, memberships); a no-op when nothing changed. */
export async function provision(ctx: FleetContext, org: OrgDirectory, registration: LoadedRegistration, homeserverUrl: string,
  onProgress?: (p: ProvisionProgress) => void): Promise<ProvisionResult> {
  const tracker = trackProvisioning();
  try {
    const result = await provisionOrg({
      org, registration, homeserverUrl, dataDir: ctx.dataDir,
      live: liveAgents(ctx, org),
      admins: ctx.config.org.admins,
      eagerJoinMaxMembers: ctx.config.provisioning.eagerJoinMaxMembers,
      concurrency: ctx.config.provisioning.concurrency,
      onProgress: (p) => {
        tracker.onProgress(p);
        onProgress?.(p);
      },
    });
    tracker.finished(summary(result), result.failed > 0);
    return result;
  } catch (err) {
    tracker.finished(`stopped: ${(err as Error).message}`, true);
    throw err;
  }
}

export function summary(r: ProvisionResult): string {
  const made = Object.entries(r.created).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing new';
  const gone = Object.entries(r.removed).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  return `provisioned in ${(r.durationMs / 1000).toFixed(1)} s: ${made}${gone ? `; removed ${gone}` : ''}; ${r.unchanged} unchanged`
    + (r.failed ? `; ${r.failed} step(s) failed — run again to resume` : '');
}

export function registerProvisionCommand(program: Command): void {
  program.command('provision')
    .description('put the org on the homeserver: users, rooms, spaces, power levels, memberships (idempotent, resumable)')
    .action(async () => {
      const ctx = fleetContext();
      const org = orgFor(ctx.config, ctx.root);
      const url = ctx.config.homeserver.url || `http://127.0.0.1:${ctx.config.homeserver.local.port}`;
      const reachable = await fetch(new URL('/_matrix/client/versions', url), { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
      if (!reachable) throw new Error(`no homeserver answers at ${url}: start the fleet with ./fleet up (it provisions too), or set homeserver.url`);
      const result = await provision(ctx, org, ensureRegistration(ctx, org), url);
      console.log(summary(result));
      if (result.failed) process.exitCode = 1;
    });
}
