import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe } from 'vitest';
import { createPostgresAuditLog } from '../../src/adapters/postgres/audit-log.ts';
import { openPostgres, type PostgresConnection } from '../../src/adapters/postgres/connect.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { auditLogContract } from '../contract/audit-log.contract.ts';
import { createTestDatabase, postgresAvailability } from '../support/services.ts';

const availability = await postgresAvailability();

describe.skipIf(!availability.available)('PostgreSQL audit log', () => {
  let database: { url: string; drop: () => Promise<void> };
  let connection: PostgresConnection;

  beforeAll(async () => {
    database = await createTestDatabase('audit_log');
    connection = openPostgres(database.url);
    await migrate(connection);
  });

  afterAll(async () => {
    await connection?.close();
    await database?.drop();
  });

  auditLogContract('postgres', async () => {
    await connection.db.execute(sql`truncate job_audit`);
    return createPostgresAuditLog(connection.db);
  });
});
