import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP link the test can cut: everything sent to `url` goes to the target, until `cut()` closes the listener and
 * every open connection (so the far side looks down), until `restore()`. It listens on loopback unless `listenHost`
 * says otherwise (a network namespace's uplink, test/helpers/netns.ts).
 */
export interface CuttableLink { url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }

export async function cuttableLink(targetUrl: string, listenHost = '127.0.0.1'): Promise<CuttableLink> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () => new Promise<void>((resolve) => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(port, listenHost, () => {
      port = (server!.address() as { port: number }).port;
      resolve();
    });
  });
  const stop = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server ? server.close(() => resolve()) : resolve();
    server = undefined;
  });
  await listen();
  return { url: `http://${listenHost}:${port}`, cut: stop, restore: listen, close: stop };
}
