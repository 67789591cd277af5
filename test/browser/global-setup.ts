import type { TestProject } from 'vitest/node';
import { ensureChromium } from '../../src/web/chromium.ts';
import { setupOwnInstance } from '../integration/global-setup.ts';

/** The browser tests get a Synapse of their own; Chromium is installed with apt when missing. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureChromium((line) => console.log(`[chromium] ${line}`));
  return setupOwnInstance(project, 'browser');
}
