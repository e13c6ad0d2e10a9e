import { sql } from 'drizzle-orm';
import { migrate as migrateFolder } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, type PgliteConnection } from '../../src/adapters/postgres/connect.ts';
import { createPostgresExecutionLog } from '../../src/adapters/postgres/execution-log.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { executionLogContract } from '../contract/execution-log.contract.ts';
import { expectUpgraded, firstReleaseMigrations, insertFirstReleaseRow } from './execution-log.upgrade.ts';

// One in-memory PGlite for the file (a fresh one costs seconds), emptied before each test.
let connection: PgliteConnection;

beforeAll(async () => {
  connection = await openPglite(undefined);
  await migrate(connection);
}, 60_000);

afterAll(async () => {
  await connection?.close();
});

executionLogContract('pglite', async () => {
  await connection.db.execute(sql`truncate job_executions`);
  return createPostgresExecutionLog(connection.db);
});

describe('PGlite migrations', () => {
  it('migrating again is a no-op', async () => {
    const count = async () =>
      (
        await connection.db.execute<{ n: number }>(
          sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
        )
      ).rows[0]?.n;
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await migrate(connection);
    expect(await count()).toBe(before);
  });

  it('upgrades a database created by the first release, keeping its rows', async () => {
    const first = firstReleaseMigrations();
    const old = await openPglite(undefined);
    try {
      await migrateFolder(old.db, { migrationsFolder: first.folder });
      const oldId = await insertFirstReleaseRow(old.db);
      await migrate(old);
      await expectUpgraded(old.db, oldId);
    } finally {
      await old.close();
      first.remove();
    }
  }, 60_000);
});
