/** Environment shared by the router and shard containers (the fleet config's FLEET_* overrides, src/config/load.ts). */
export function fleetEnvironment(o: { domain: string; homeserverUrl: string; routerUrl: string }): Record<string, string> {
  return {
    FLEET_DOMAIN: o.domain,
    FLEET_HOMESERVER__URL: o.homeserverUrl,
    FLEET_ROUTER__URL: o.routerUrl,
    // The committed template inside the image; the tokens come from FLEET_AS_TOKEN / FLEET_HS_TOKEN.
    FLEET_APPSERVICE__REGISTRATION: 'registration.yaml',
    FLEET_LOG_LEVEL: 'info',
  };
}

/** The image's health check, as ECS needs it spelled out in the task definition. */
export function httpHealthCheck(port: number): string[] {
  return ['CMD', 'node', '-e',
    `fetch('http://127.0.0.1:${port}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`];
}
