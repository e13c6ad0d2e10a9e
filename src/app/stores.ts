/**
 * Store selection: the job store and event bus (Redis when REDIS_URL is set, else memory) and the
 * execution log (PostgreSQL, or PGlite on disk or in memory), closed together. The execution log
 * (and the audit trail in its database) opens in the background: see openHistory.
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
import { migrate } from '../adapters/postgres/migrate.ts';
import type { Config } from '../config.ts';
import type { Clock } from '../core/clock.ts';
import type { AuditLog, EventBus, ExecutionLog, JobStore } from '../core/ports.ts';
import type { JsonLogger } from '../logger.ts';
import type { Platform } from './platform.ts';
import { type MethodNames, whenOpen } from './when-open.ts';

export interface Stores {
  store: JobStore;
  bus: EventBus;
  log: ExecutionLog;
  /** The audit trail of job changes, in the execution log's database. */
  audit: AuditLog;
  /** What backs each: redis or memory; postgres or pglite. */
  storeKind: string;
  logKind: string;
  /** Resolves once the database is open and migrated; rejects with why it could not be. */
  history: Promise<void>;
  /** Reaches the database without needing the schema; fails at once while it is still opening. */
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

  const history = openHistory(config, platform);
  // A failed open fails start() (which awaits it) and every call; it is never an unhandled rejection.
  let opened: DatabaseConnection | null = null;
  let failure: unknown = null;
  history.connection.then(
    (connection) => {
      opened = connection;
    },
    (error: unknown) => {
      failure = error;
    },
  );
  // A PostgreSQL server's pool is made at once (it connects on first use): only PGlite's start is
  // worth answering before, so /readyz checks the server from the first request.
  if (config.database.kind === 'postgres') await history.connection.catch(() => {});
  const migrated = history.ready.then(() => {});
  migrated.catch(() => {});
  const ready = history.ready.then((connection) => ({
    log: createPostgresExecutionLog(connection.db),
    audit: createPostgresAuditLog(connection.db),
  }));
  ready.catch(() => {});
  const log = whenOpen(
    ready.then((h) => h.log),
    EXECUTION_LOG_METHODS,
  );
  const audit = whenOpen(
    ready.then((h) => h.audit),
    AUDIT_LOG_METHODS,
  );
  return {
    store,
    bus,
    log,
    audit,
    history: migrated,
    storeKind: redis ? 'redis' : 'memory',
    logKind: config.database.kind,
    ping: async () => {
      const connection = opened as DatabaseConnection | null;
      if (connection === null) throw failure === null ? new Error('is opening') : toStoreError(failure);
      try {
        await connection.db.execute(sql`select 1`);
      } catch (error) {
        throw toStoreError(error);
      }
    },
    close: async () => {
      await closeAll(store, bus, redis);
      // A database still opening (or migrating) is closed once done; one that failed holds nothing.
      await migrated.catch(() => {});
      const connection = await history.connection.catch(() => null);
      await connection
        ?.close()
        .catch((error: unknown) => logger.warn('closing the execution log failed', { error }));
    },
  };
}

/**
 * The database opens in the background: PGlite's start takes most of a second, and nothing but
 * the history needs it, so the service answers meanwhile. `ready` is once migrations have run.
 */
function openHistory(
  config: Config,
  platform: Platform | undefined,
): { connection: Promise<DatabaseConnection>; ready: Promise<DatabaseConnection> } {
  const connection = (async (): Promise<DatabaseConnection> => {
    if (config.database.kind === 'postgres') {
      const { openPostgres } = await import('../adapters/postgres/postgres-js.ts');
      return openPostgres(config.database.url);
    }
    const { dataDir } = config.database;
    if (dataDir !== null) {
      if (!platform) throw new Error('an embedded database directory needs file access from the runtime');
      await platform.makeDirectory(dataDir);
    }
    const { openPglite } = await import('../adapters/postgres/pglite.ts');
    return openPglite(dataDir ?? undefined);
  })();
  const ready = connection.then(async (opened) => {
    await migrate(opened);
    return opened;
  });
  return { connection, ready };
}

const EXECUTION_LOG_METHODS: MethodNames<ExecutionLog> = {
  insert: true,
  finish: true,
  claimPending: true,
  nextPendingAt: true,
  listRunning: true,
  listRunningOf: true,
  requeue: true,
  get: true,
  list: true,
  count: true,
  stats: true,
  latestByJob: true,
  abandon: true,
  deleteFinishedBefore: true,
  close: true,
};

const AUDIT_LOG_METHODS: MethodNames<AuditLog> = {
  record: true,
  list: true,
  deleteBefore: true,
  close: true,
};

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
