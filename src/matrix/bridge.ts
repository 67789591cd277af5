import { Bridge, type Intent, type Request, type WeakEvent, type BridgeContext } from 'matrix-appservice-bridge';
import type { LoadedRegistration } from './registration.ts';
import { pipeLibraryLogs } from './library-logs.ts';

export interface BridgeOptions {
  homeserverUrl: string;
  domain: string;
  registration: LoadedRegistration;
  onEvent?: (request: Request<WeakEvent>, context?: BridgeContext) => void;
  onUserQuery?: (userId: string) => Promise<void>;
}

/**
 * One matrix-appservice-bridge instance per process. The router uses its event pipeline and user queries; shards use
 * it only for Intents (acting as agents). suppressEcho is off: our namespace is the whole domain, so with it on every
 * human message would be dropped as an "echo".
 */
export async function createBridge(opts: BridgeOptions): Promise<Bridge> {
  pipeLibraryLogs();
  const bridge = new Bridge({
    homeserverUrl: opts.homeserverUrl,
    domain: opts.domain,
    registration: opts.registration.registration,
    suppressEcho: false,
    disableStores: true,
    disableContext: true,
    controller: {
      onEvent: opts.onEvent ?? ((request) => request.resolve(undefined)),
      onUserQuery: opts.onUserQuery
        ? async (user) => {
            await opts.onUserQuery!(user.getId());
            // Already provisioned above; an empty answer tells the bridge there is nothing left to do.
            return {};
          }
        : undefined,
    },
    intentOptions: {
      clients: { dontCheckPowerLevel: true },
    },
  });
  await bridge.initialise();
  return bridge;
}

export type { Intent };
