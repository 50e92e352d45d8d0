import { defineConfig } from 'vitest/config';

// Two tiers, each test file in exactly one (`vitest run --project unit`):
// - unit: no root, no kernel (decoding, policies, the catalog, rules on
//   recorded events, the CLI's parsing and formatting); files run in parallel.
//   scripts/test-unit.sh (`npm run test:unit`) runs it with the Rust unit tests.
// - kernel: as root, on the real kernel (test/*.test.ts).
// `vitest run` runs both, the unit tier first.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'kernel',
          include: ['test/*.test.ts'],
          // Kernel tests attach real programs and count this process's BPF
          // fds: one file at a time, each in its own process.
          pool: 'forks',
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
