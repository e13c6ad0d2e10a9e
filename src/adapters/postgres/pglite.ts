/**
 * The embedded PostgreSQL (PGlite). Its own module so that a service on a PostgreSQL server never
 * loads PGlite (connect.ts re-exports it).
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { PgliteConnection } from './connect.ts';

/**
 * PostgreSQL's default 128 MB of shared buffers is written through when PGlite starts, and so is
 * resident from the first second: about 120 MB of the idle service's memory (measured with
 * bench/startup.ts). The history's working set is far smaller, and the data directory's files
 * stay in the operating system's page cache anyway, as for any PostgreSQL. 8 MB rather than 16:
 * 8 MB less resident (PGlite alone 207 vs 215 MB idle on Node 24); its 128 MB of WebAssembly
 * memory is the rest, a floor PGlite does not let go lower (initialMemory below it fails to link).
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB'];

/**
 * `dataDir` undefined = in memory (tests). A fresh one takes seconds (initdb), and an open one
 * keeps the process alive: always close it.
 */
export async function openPglite(dataDir: string | undefined): Promise<PgliteConnection> {
  const client = await PGlite.create(dataDir, { startParams: START_PARAMS });
  return {
    kind: 'pglite',
    db: drizzle(client),
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}
