/**
 * The two stacks a GraphQL end-to-end test runs on: memory store + PGlite everywhere, and the
 * production pair Redis + PostgreSQL when they are reachable (skipped with the reason otherwise;
 * KAIROS_REQUIRE_SERVICES makes an unreachable server fail instead, in services.ts). Each open
 * gets its own database and key prefix and deletes them on close.
 */
import { createPostgresAuditLog } from '../../src/adapters/postgres/audit-log.ts';
import { openPglite, openPostgres } from '../../src/adapters/postgres/connect.ts';
import { createPostgresExecutionLog } from '../../src/adapters/postgres/execution-log.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { createRedisJobStore } from '../../src/adapters/redis/job-store.ts';
import type { JobStore } from '../../src/core/ports.ts';
import { connect, dropPrefix } from '../adapters/redis-harness.ts';
import {
  createTestDatabase,
  postgresAvailability,
  redisAvailability,
  uniquePrefix,
} from '../support/services.ts';
import { createTestApp, type HarnessOptions, type TestApp } from './harness.ts';

export interface BackendOptions extends Omit<HarnessOptions, 'audit' | 'wrapLog' | 'wrapStore'> {
  /** Record job changes in the backend's PostgreSQL audit log. */
  audited?: boolean;
}

export interface OpenBackend {
  app: TestApp;
  close(): Promise<void>;
}

export interface Backend {
  name: string;
  skip: boolean;
  open(options?: BackendOptions): Promise<OpenBackend>;
}

const [redis, postgres] = await Promise.all([redisAvailability(), postgresAvailability()]);

export const BACKENDS: Backend[] = [
  {
    name: 'memory + PGlite',
    skip: false,
    async open({ audited, ...options } = {}) {
      const connection = await openPglite(undefined);
      await migrate(connection);
      const pg = createPostgresExecutionLog(connection.db);
      const audit = audited ? createPostgresAuditLog(connection.db) : undefined;
      const app = createTestApp({ ...options, wrapLog: () => pg, audit });
      return {
        app,
        async close() {
          await app.scheduler.stop({ deadlineMs: 3_000 });
          await connection.close();
        },
      };
    },
  },
  {
    name: 'Redis + PostgreSQL',
    skip: !redis.available || !postgres.available,
    async open({ audited, ...options } = {}) {
      const database = await createTestDatabase('gql_e2e');
      const connection = openPostgres(database.url);
      await migrate(connection);
      const pg = createPostgresExecutionLog(connection.db);
      const audit = audited ? createPostgresAuditLog(connection.db) : undefined;
      const prefix = uniquePrefix('gql-e2e');
      const client = connect();
      const store: JobStore = createRedisJobStore({ redis: client, prefix });
      const app = createTestApp({ ...options, wrapStore: () => store, wrapLog: () => pg, audit });
      return {
        app,
        async close() {
          await app.scheduler.stop({ deadlineMs: 3_000 });
          await store.close();
          await dropPrefix(client, prefix);
          client.disconnect();
          await connection.close();
          await database.drop();
        },
      };
    },
  },
];
