import type { TestProject } from 'vitest/node';
import { ensureChromium } from '../../src/web/chromium.ts';
import integrationSetup from '../integration/global-setup.ts';

/**
 * The browser tests get a Synapse of their own (instance "<instance>-browser"), since vitest runs each project's
 * global setup and two projects sharing one instance would wipe each other's database. Global setups run one after
 * another, so changing the variable around the call is safe. Chromium is installed with apt when missing.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureChromium((line) => console.log(`[chromium] ${line}`));
  const instance = process.env.FLEET_TEST_INSTANCE;
  process.env.FLEET_TEST_INSTANCE = `${instance ?? 'vitest'}-browser`;
  try {
    return await integrationSetup(project);
  } finally {
    if (instance === undefined) delete process.env.FLEET_TEST_INSTANCE;
    else process.env.FLEET_TEST_INSTANCE = instance;
  }
}
