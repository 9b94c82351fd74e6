import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the dashboard in a real browser, against a real gateway (slow, needs chromium).
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
