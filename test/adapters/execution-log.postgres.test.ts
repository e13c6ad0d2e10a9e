import { sql } from 'drizzle-orm';
import { migrate as migrateFolder } from 'drizzle-orm/postgres-js/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PostgresConnection } from '../../src/adapters/postgres/connect.ts';
import { createPostgresExecutionLog } from '../../src/adapters/postgres/execution-log.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { UnavailableError } from '../../src/core/errors.ts';
import { executionLogContract } from '../contract/execution-log.contract.ts';
import { createTestDatabase, postgresAvailability } from '../support/services.ts';
import { expectUpgraded, firstReleaseMigrations, insertFirstReleaseRow } from './execution-log.upgrade.ts';

const availability = await postgresAvailability();

describe.skipIf(!availability.available)('PostgreSQL execution log', () => {
  let database: { url: string; drop: () => Promise<void> };
  let connection: PostgresConnection;

  beforeAll(async () => {
    database = await createTestDatabase('execution_log');
    connection = openPostgres(database.url);
    await migrate(connection);
  });

  afterAll(async () => {
    await connection?.close();
    await database?.drop();
  });

  executionLogContract('postgres', async () => {
    await connection.db.execute(sql`truncate job_executions`);
    return createPostgresExecutionLog(connection.db);
  });

  describe('migrations', () => {
    it('migrating again is a no-op, also from two replicas at once', async () => {
      const count = async () =>
        (
          await connection.db.execute<{ n: number }>(
            sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
          )
        )[0]?.n;
      const before = await count();
      expect(before).toBeGreaterThan(0);
      await Promise.all([migrate(connection), migrate(connection)]);
      expect(await count()).toBe(before);
    });

    it('upgrades a database created by the first release, keeping its rows', async () => {
      const first = firstReleaseMigrations();
      const scratch = await createTestDatabase('execution_log_upgrade');
      const old = openPostgres(scratch.url);
      try {
        await migrateFolder(old.db, { migrationsFolder: first.folder });
        const oldId = await insertFirstReleaseRow(old.db);
        await migrate(old);
        await expectUpgraded(old.db, oldId);
      } finally {
        await old.close();
        await scratch.drop();
        first.remove();
      }
    });
  });

  describe('an unreachable server', () => {
    it('fails with UnavailableError', async () => {
      // Port 1 refuses at once: a server that is down, without waiting for a timeout.
      const down = openPostgres('postgres://postgres@127.0.0.1:1/none', { connectTimeout: 2 });
      const log = createPostgresExecutionLog(down.db, { close: down.close });
      try {
        await expect(log.get(crypto.randomUUID())).rejects.toBeInstanceOf(UnavailableError);
        await expect(log.list({ first: 1 })).rejects.toBeInstanceOf(UnavailableError);
      } finally {
        await log.close();
      }
    });
  });
});
