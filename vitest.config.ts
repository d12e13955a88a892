import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real processes (dynalite, the sandbox, the extension); a generous
    // per-test limit keeps a slow shared machine from failing them, while a hung
    // process still fails the run instead of stalling it.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
