import type { TestProject } from 'vitest/node';
import { setupOwnInstance } from '../integration/global-setup.ts';

/** The admin console's tests own #fleet-admin and #all-employees: a Synapse of their own keeps other suites' apart. */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return setupOwnInstance(project, 'admin');
}
