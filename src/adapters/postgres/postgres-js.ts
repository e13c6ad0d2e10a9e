/**
 * A PostgreSQL server through postgres.js. Its own module so that a service on the embedded
 * default never loads postgres.js or drizzle's driver for it (connect.ts re-exports it).
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { PostgresConnection, PostgresOptions } from './connect.ts';

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
    db: drizzle(client),
    url,
    close: () => client.end({ timeout: 5 }),
  };
}
