import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stringify } from 'yaml';
import { ensureSynapseRoot } from '../../src/homeserver/chroot.ts';
import { LocalSynapse } from '../../src/homeserver/synapse.ts';
import { startAppserviceFront } from '../helpers/appservice-front.ts';
import type { ProvidedHomeserver } from '../helpers/homeserver.ts';
import { freePort } from '../helpers/ports.ts';
import { generateOrg } from '../../src/org/generator.ts';
import { loadOrg } from '../../src/org/load.ts';
import { userNamespaceRegex } from '../../src/matrix/registration.ts';

const SERVER_NAME = 'anycompany.corp';

/**
 * One fresh Synapse (instance "vitest", or FLEET_TEST_INSTANCE so parallel runs on one machine keep apart) and one appservice front for the whole integration run. The registration
 * points Synapse at the front, which test files attach their own backends to.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cacheDir = process.env.FLEET_CACHE_DIR ?? join(homedir(), '.cache', 'open-claw-fleet');
  const root = await ensureSynapseRoot({ cacheDir, onProgress: (line) => console.log(`[synapse-root] ${line}`) });
  const hsPort = await freePort();
  let frontPort = await freePort();
  while (frontPort === hsPort) frontPort = await freePort();

  const front = await startAppserviceFront({ port: frontPort });
  const registration = {
    id: 'open-claw-fleet-test',
    url: front.url,
    asToken: randomBytes(32).toString('hex'),
    hsToken: randomBytes(32).toString('hex'),
    senderLocalpart: 'fleet-bot',
  };
  const domain = SERVER_NAME.replace(/\./g, '\\.');
  // As production: the namespace lists the fleet's users only, so humans' own rooms never reach the appservice.
  // The suites use two orgs (the generated 1001 and the 40-person fixture) and the harness's own puppets.
  const agentsOf = (people: ReadonlyArray<{ human: boolean; localpart: string }>) => people.filter((p) => !p.human).map((p) => p.localpart);
  const agentLocalparts = [
    ...agentsOf(generateOrg({ domain: SERVER_NAME, ceo: { name: 'Morgan Blake', localpart: 'morgan.blake' } })),
    ...agentsOf(loadOrg({ domain: SERVER_NAME, ceo: { name: 'Morgan Blake' }, file: join(import.meta.dirname, '..', 'fixtures', 'org-small.yaml') }).all()),
  ];
  const registrationYaml = stringify({
    id: registration.id,
    url: registration.url,
    as_token: registration.asToken,
    hs_token: registration.hsToken,
    sender_localpart: registration.senderLocalpart,
    namespaces: {
      users: [
        { regex: userNamespaceRegex(SERVER_NAME, [...agentLocalparts, registration.senderLocalpart]), exclusive: false },
        // The harness's puppets, and the hire test/integration/provision.test.ts adds to the fixture.
        { regex: `^@(?:harness-.*|quinn\\.newhire):${domain}$`, exclusive: false },
      ],
      aliases: [{ regex: `#.*:${domain}`, exclusive: false }],
      rooms: [],
    },
    rate_limited: false,
  });

  const synapse = new LocalSynapse({ root, instance: process.env.FLEET_TEST_INSTANCE ?? 'vitest', port: hsPort, serverName: SERVER_NAME, appserviceRegistrationYaml: registrationYaml });
  try {
    await synapse.wipe();
    const started = Date.now();
    await synapse.start();
    console.log(`[synapse] fresh test instance at ${synapse.url} ready in ${Date.now() - started} ms`);
  } catch (err) {
    await front.close();
    throw err;
  }

  const provided: ProvidedHomeserver = { url: synapse.url, serverName: SERVER_NAME, registration, frontUrl: front.url, sharedSecret: synapse.sharedSecret() };
  project.provide('fleetHomeserver', provided);

  return async () => {
    await front.close();
    await synapse.stop();
  };
}

/**
 * The same setup on an instance of its own ("<instance>-<suffix>"), for a project whose tests change state other
 * suites rely on (the admin room's alias, #all-employees) or that must not wipe theirs. Global setups run one after
 * another, so changing the variable around the call is safe.
 */
export async function setupOwnInstance(project: TestProject, suffix: string): Promise<() => Promise<void>> {
  const instance = process.env.FLEET_TEST_INSTANCE;
  process.env.FLEET_TEST_INSTANCE = `${instance ?? 'vitest'}-${suffix}`;
  try {
    return await setup(project);
  } finally {
    if (instance === undefined) delete process.env.FLEET_TEST_INSTANCE;
    else process.env.FLEET_TEST_INSTANCE = instance;
  }
}
