import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // matrix-js-sdk's MatrixRTC logs through a logger of its own; it says nothing about our behaviour.
    onConsoleLog: (log: string) => !log.includes('[MatrixRTCSession'),
    projects: [
      // `./fleet test --long` only (it sets FLEET_TEST_LONG): 10,000-case fuzzing and other slow checks.
      ...(process.env.FLEET_TEST_LONG ? [{
        test: {
          name: 'long', include: ['test/long/**/*.test.ts'], fileParallelism: false, testTimeout: 1_800_000, hookTimeout: 600_000,
          // The soak runs on the real homeserver, the one the integration project uses.
          globalSetup: ['test/integration/global-setup.ts'],
        },
      }] : []),
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // All integration files share one local Synapse and one registered appservice URL.
          fileParallelism: false,
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'admin',
          include: ['test/admin/**/*.test.ts'],
          // The #fleet-admin console on a Synapse of its own (it creates the admin room and #all-employees).
          fileParallelism: false,
          globalSetup: ['test/admin/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          // Headless Chromium against the fleet on a Synapse of its own; one file at a time, like integration.
          fileParallelism: false,
          globalSetup: ['test/browser/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
