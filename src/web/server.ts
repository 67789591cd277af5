import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { dashboardApp, type DashboardOptions } from '../dashboard/app.ts';
import { componentLogger } from '../log.ts';

const log = componentLogger('web');

export interface WebServerOptions {
  host: string;
  port: number;
  /** The built web chat (buildWebApp). */
  appDir: string;
  /** What the browser is told: the homeserver as the browser reaches it, and the fleet's server name. */
  homeserverUrl: string;
  serverName: string;
  dashboard: DashboardOptions;
}

export interface RunningWebServer {
  url: string;
  close(): Promise<void>;
}

/** Hydrogen's config.json: our homeserver is the default; `fleet` is ours (the header's server name for bare ids). */
export function clientConfig(homeserverUrl: string, serverName: string): Record<string, unknown> {
  return { defaultHomeServer: homeserverUrl, fleet: { serverName } };
}

/** One HTTP server for the command center: the web chat at /, the dashboard and its API under /dashboard. */
export async function startWebServer(opts: WebServerOptions): Promise<RunningWebServer> {
  const app = new Hono();
  app.get('/config.json', (c) => {
    c.header('cache-control', 'no-store');
    return c.json(clientConfig(opts.homeserverUrl, opts.serverName));
  });
  app.get('/dashboard', (c) => c.redirect('/dashboard/', 301));
  // Handed the request whole rather than merged with app.route(), which would drop its non-strict trailing slash.
  const dashboard = dashboardApp(opts.dashboard);
  app.all('/dashboard/*', (c) => dashboard.fetch(c.req.raw));
  // The build directory's name changes with its content, but the files in it keep their names: always revalidate.
  app.use('/*', async (c, next) => {
    await next();
    if (c.res.ok) c.header('cache-control', 'no-cache');
  });
  app.use('/*', serveStatic({ root: opts.appDir }));

  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new Error(`the command center cannot listen on ${opts.host}:${opts.port}: the port is in use (set web.port or FLEET_WEB__PORT)`)
      : err));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  log.info({ url }, 'command center listening');
  return {
    url,
    close: () => new Promise<void>((resolve) => {
      // Live activity streams never end by themselves.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
