/**
 * Store selection: the job store and event bus (Redis when REDIS_URL is set, else memory) and the
 * execution log (PostgreSQL, or PGlite on disk or in memory), opened together and closed together.
 * Only the drivers configured are imported (ioredis, postgres.js, PGlite): each one loaded for
 * nothing cost start-up time and resident memory (README "Start-up, memory and API reads").
 */
import { sql } from 'drizzle-orm';
import type { Redis, RedisOptions } from 'ioredis';
import { createMemoryEventBus } from '../adapters/memory/event-bus.ts';
import { createMemoryJobStore } from '../adapters/memory/job-store.ts';
import { createPostgresAuditLog } from '../adapters/postgres/audit-log.ts';
import type { DatabaseConnection } from '../adapters/postgres/connect.ts';
import { toStoreError } from '../adapters/postgres/errors.ts';
import { createPostgresExecutionLog } from '../adapters/postgres/execution-log.ts';
import type { Config } from '../config.ts';
import type { Clock } from '../core/clock.ts';
import type { AuditLog, EventBus, ExecutionLog, JobStore } from '../core/ports.ts';
import type { JsonLogger } from '../logger.ts';
import type { Platform } from './platform.ts';

export interface Stores {
  store: JobStore;
  bus: EventBus;
  log: ExecutionLog;
  /** The audit trail of job changes, in the execution log's database. */
  audit: AuditLog;
  /** What backs each: redis or memory; postgres or pglite. */
  storeKind: string;
  logKind: string;
  database: DatabaseConnection;
  /** Reaches the database without needing the schema (migrations may not have run yet). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStores(
  config: Config,
  clock: Clock,
  logger: JsonLogger,
  platform?: Platform,
): Promise<Stores> {
  let redis: Redis | null = null;
  let store: JobStore;
  let bus: EventBus;
  if (config.redis) {
    const [{ Redis }, { createRedisJobStore }, { createRedisEventBus }] = await Promise.all([
      import('ioredis'),
      import('../adapters/redis/job-store.ts'),
      import('../adapters/redis/event-bus.ts'),
    ]);
    redis = reportOutages(new Redis(config.redis.url, redisOptions(config.instance)), logger);
    void warnIfEvicting(redis, logger);
    store = createRedisJobStore({ redis, prefix: config.redis.prefix });
    bus = createRedisEventBus({
      redis,
      prefix: config.redis.prefix,
      onError: (error) => logger.warn('event bus error', { error }),
    });
  } else {
    store = createMemoryJobStore({ clock });
    bus = createMemoryEventBus({
      onListenerError: (error) => logger.warn('event listener failed', { error }),
    });
  }

  let database: DatabaseConnection;
  try {
    if (config.database.kind === 'postgres') {
      const { openPostgres } = await import('../adapters/postgres/postgres-js.ts');
      database = openPostgres(config.database.url);
    } else {
      const { dataDir } = config.database;
      if (dataDir !== null) {
        if (!platform) throw new Error('an embedded database directory needs file access from the runtime');
        await platform.makeDirectory(dataDir);
      }
      const { openPglite } = await import('../adapters/postgres/pglite.ts');
      database = await openPglite(dataDir ?? undefined);
    }
  } catch (error) {
    await closeAll(store, bus, redis);
    throw error;
  }
  const log = createPostgresExecutionLog(database.db, { close: () => database.close() });
  return {
    store,
    bus,
    log,
    audit: createPostgresAuditLog(database.db),
    database,
    storeKind: redis ? 'redis' : 'memory',
    logKind: database.kind,
    ping: async () => {
      try {
        await database.db.execute(sql`select 1`);
      } catch (error) {
        throw toStoreError(error);
      }
    },
    close: async () => {
      await closeAll(store, bus, redis);
      await log.close().catch((error: unknown) => logger.warn('closing the execution log failed', { error }));
    },
  };
}

function redisOptions(instance: string): RedisOptions {
  return {
    connectionName: `kairos:${instance}`,
    connectTimeout: 5_000,
    // While Redis is away the API answers UNAVAILABLE within a second (issue: mutations took up to
    // 5 s): a command waits for one reconnect attempt at most, reconnects are tried every 200 ms
    // (not ioredis's growing 2 s), so firing resumes right after Redis returns, and a command with
    // no reply (a partition) fails after 900 ms. The scheduler's own retries take over from there.
    maxRetriesPerRequest: 1,
    retryStrategy: () => 200,
    commandTimeout: 900,
  };
}

function reportOutages(redis: Redis, logger: JsonLogger): Redis {
  // ioredis emits an error per failed reconnect; say it once per outage, and when it is over.
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn('Redis is unreachable; retrying', { error: error.message });
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('Redis is reachable again');
  });
  return redis;
}

/**
 * A Redis that evicts keys under memory pressure drops jobs, claims and leases silently (redbeat
 * refuses such a Redis too): say so loudly at start. Managed Redis may forbid CONFIG: then nothing.
 */
export async function warnIfEvicting(redis: Redis, logger: JsonLogger): Promise<string | null> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1] ?? null;
    if (policy !== null && policy !== 'noeviction')
      logger.error(
        `Redis evicts keys (maxmemory-policy ${policy}): jobs and their schedules can vanish under memory pressure; set maxmemory-policy noeviction`,
        { policy },
      );
    return policy;
  } catch {
    return null;
  }
}

async function closeAll(store: JobStore, bus: EventBus, redis: Redis | null): Promise<void> {
  await Promise.allSettled([bus.close(), store.close()]);
  if (!redis) return;
  // quit waits for replies in flight; a Redis that is down would make it wait for the retries.
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
