/**
 * Opening a database: postgres.js for a server, PGlite for the embedded default. Both give a drizzle
 * database of the same shape (Database), which is all the adapters see.
 */
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite, type PgliteDatabase } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';

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

export function openPostgres(url: string, options: PostgresOptions = {}): PostgresConnection {
  const client = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeout ?? 10,
    // Reconnect within half a second of PostgreSQL's return: the default backoff grows to 20 s
    // (3^n / 100 s), which kept every query of a replica waiting 10 s after a 25 s outage ended.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5),
    // NOTICEs (e.g. "relation already exists, skipping" from the migrator) are not ours to print.
    onnotice: () => {},
  });
  return {
    kind: 'postgres',
    db: drizzlePostgres(client),
    url,
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * An embedded PostgreSQL. `dataDir` undefined = in memory (tests). A fresh one takes seconds
 * (initdb), and an open one keeps the process alive: always close it.
 */
export async function openPglite(dataDir: string | undefined): Promise<PgliteConnection> {
  const client = await PGlite.create(dataDir);
  return {
    kind: 'pglite',
    db: drizzlePglite(client),
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}
