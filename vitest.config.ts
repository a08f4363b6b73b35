import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The long reliability cases run with `npm run test:reliability` (vitest.reliability.config.ts).
    exclude: ['**/node_modules/**', 'test/**/*.long.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most files wait on PostgreSQL, child processes and sockets: two at once on a 2-core machine cut
    // the suite from ~23 to ~15 minutes (vitest's default here is one, cores - 1).
    maxWorkers: 2,
  },
});
