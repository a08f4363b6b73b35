/**
 * `npm run test:reliability`: the long cases of test/reliability/ (*.long.test.ts: real processes,
 * embedded PostgreSQL, kills), with the short ones. `npm test` runs only the short ones.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Real processes and an embedded PostgreSQL each: one file at a time.
    fileParallelism: false,
  },
});
