import { configDefaults, defineConfig } from 'vitest/config';

// Suites that measure the fire path end to end (every fire at 100 ms cadence) and the fault suite
// (replicas as processes) run on their own, one file at a time, after the rest: sharing two cores
// with Bun/Deno child processes would test the machine's load.
const TIMING = ['test/**/*.e2e.test.ts', 'test/faults/**/*.test.ts'];

export default defineConfig({
  resolve: {
    // One graphql module for our files and the libraries: two copies mean two GraphQLError classes.
    alias: { graphql: 'graphql/index.js' },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files share the machine's Redis and PostgreSQL; each uses its own key prefix / database.
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...TIMING],
        },
      },
      { extends: true, test: { name: 'timing', include: TIMING, fileParallelism: false } },
    ],
  },
});
