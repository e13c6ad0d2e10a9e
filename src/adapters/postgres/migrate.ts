/**
 * Apply the SQL migrations in drizzle/ with drizzle's migrator. Applied migrations are recorded in
 * drizzle.__drizzle_migrations, so running it again is a no-op.
 */
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { DatabaseConnection } from './connect.ts';
import { toStoreError } from './errors.ts';

/** Resolved from this file, not from the cwd, so it works wherever the process starts. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle', import.meta.url));

// Any fixed number: replicas starting together take turns instead of racing to create the table.
const MIGRATION_LOCK_KEY = 7_245_911_301;

// The migrators and drivers are imported for the kind in use only (see connect.ts).
export async function migrate(connection: DatabaseConnection): Promise<void> {
  try {
    if (connection.kind === 'pglite') {
      const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
      await migratePglite(connection.db, { migrationsFolder: MIGRATIONS_FOLDER });
      return;
    }
    // An advisory lock belongs to a session: a one-connection pool keeps lock, migration and
    // unlock on the same session.
    const [{ migrate: migratePostgresJs }, { openPostgres }] = await Promise.all([
      import('drizzle-orm/postgres-js/migrator'),
      import('./postgres-js.ts'),
    ]);
    const single = openPostgres(connection.url, { max: 1 });
    try {
      await single.db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      try {
        await migratePostgresJs(single.db, { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await single.db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      }
    } finally {
      await single.close();
    }
  } catch (error) {
    throw toStoreError(error);
  }
}
