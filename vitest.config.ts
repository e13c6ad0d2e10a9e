import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // One graphql module for our files and the libraries: two copies mean two GraphQLError classes.
    alias: { graphql: 'graphql/index.js' },
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files share the machine's Redis and PostgreSQL; each uses its own key prefix / database.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
