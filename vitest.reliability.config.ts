import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: the real stack under faults, hostile input, overload and a
 * soak (test/reliability/, docs/reliability.md). Not part of `npm test`: it takes minutes.
 * One file at a time, since each loads the machine on purpose; console output is not
 * intercepted, so each scenario's line prints as it ends.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    disableConsoleIntercept: true,
    reporters: ['verbose'],
  },
});
