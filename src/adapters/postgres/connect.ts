/**
 * Opening a database: postgres.js for a server, PGlite for the embedded default. Both give a drizzle
 * database of the same shape (Database), which is all the adapters see. Each driver is in its own
 * module (postgres-js.ts, pglite.ts), imported by the service only when it is the one configured:
 * loading both cost start-up time and memory for nothing.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';

export { openPglite } from './pglite.ts';
export { openPostgres } from './postgres-js.ts';

/** What the adapters need: a drizzle PostgreSQL database, whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT>;

export interface PostgresConnection {
  kind: 'postgres';
  db: PostgresJsDatabase;
  url: string;
  close(): Promise<void>;
}

export interface PgliteConnection {
  kind: 'pglite';
  db: PgliteDatabase;
  close(): Promise<void>;
}

export type DatabaseConnection = PostgresConnection | PgliteConnection;

export interface PostgresOptions {
  /** Pool size; default 10. */
  max?: number;
  /** Seconds to wait for a connection; default 10. */
  connectTimeout?: number;
}
