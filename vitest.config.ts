import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration files start one moto server each; two cores are the norm here.
    maxWorkers: 2,
    // One cfn-lint process for the whole run, started on first use (test/support/cfn-lint.ts).
    globalSetup: ['test/support/cfn-lint.global.ts'],
    // Replays a property test's seed when ORGBRIDGE_FUZZ_SEED is set (test/support/property.ts).
    setupFiles: ['test/support/fast-check.setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
