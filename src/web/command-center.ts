import { join } from 'node:path';
import type { FleetConfig } from '../config/schema.ts';
import type { OrgDirectory } from '../org/directory.ts';
import type { FleetView } from '../router/fleet-view.ts';
import type { TaskService } from '../tasks/service.ts';
import { buildWebApp, type BuiltWebApp } from './build.ts';
import { startWebServer, type RunningWebServer } from './server.ts';

export interface CommandCenter extends RunningWebServer {
  build: BuiltWebApp;
}

/**
 * What `./fleet up` serves beside the fleet: the web chat built once per content hash into the cache, and the
 * dashboard reading the router's view. The browser is pointed at web.homeserverUrl when set (a proxy, another
 * host name), else at the homeserver the fleet itself uses.
 */
export async function startCommandCenter(opts: {
  config: FleetConfig;
  cacheDir: string;
  org: OrgDirectory;
  view: FleetView;
  /** The router's tasks, for the dashboard's board; absent: no board. */
  tasks?: TaskService;
  homeserverUrl: string;
}): Promise<CommandCenter> {
  const { web, domain, org: orgConfig } = opts.config;
  const build = await buildWebApp(join(opts.cacheDir, 'web'));
  const server = await startWebServer({
    host: web.host, port: web.port, appDir: build.dir,
    homeserverUrl: web.homeserverUrl || opts.homeserverUrl, serverName: domain,
    dashboard: {
      org: opts.org, view: opts.view, admins: orgConfig.admins, homeserverUrl: opts.homeserverUrl,
      sessionTtlMs: web.sessionTtlMinutes * 60_000, ...(opts.tasks ? { tasks: opts.tasks } : {}),
    },
  });
  return { ...server, build };
}
