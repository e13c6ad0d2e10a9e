import { sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { createPostgresAuditLog } from '../../src/adapters/postgres/audit-log.ts';
import { openPglite, type PgliteConnection } from '../../src/adapters/postgres/connect.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { auditLogContract } from '../contract/audit-log.contract.ts';

// One in-memory PGlite for the file (a fresh one costs seconds), emptied before each test.
let connection: PgliteConnection;

beforeAll(async () => {
  connection = await openPglite(undefined);
  await migrate(connection);
}, 60_000);

afterAll(async () => {
  await connection?.close();
});

auditLogContract('pglite', async () => {
  await connection.db.execute(sql`truncate job_audit`);
  return createPostgresAuditLog(connection.db);
});
