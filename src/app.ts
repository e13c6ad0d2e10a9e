/**
 * Composition root: config -> adapters -> scheduler -> job service -> GraphQL. The app never
 * listens: it is a fetch handler plus start/stop, served by src/runtime/<runtime>.ts. Web-standard
 * APIs only (no node:*, Bun or Deno here), so it runs unchanged on every runtime; what needs the
 * file system comes in through `platform`.
 */
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import packageJson from '../package.json' with { type: 'json' };
import { createMemoryEventBus } from './adapters/memory/event-bus.ts';
import { createMemoryJobStore } from './adapters/memory/job-store.ts';
import { type DatabaseConnection, openPglite, openPostgres } from './adapters/postgres/connect.ts';
import { toStoreError } from './adapters/postgres/errors.ts';
import { createPostgresExecutionLog } from './adapters/postgres/execution-log.ts';
import { migrate } from './adapters/postgres/migrate.ts';
import { StoreResetError } from './adapters/redis/errors.ts';
import { createRedisEventBus } from './adapters/redis/event-bus.ts';
import { createRedisJobStore } from './adapters/redis/job-store.ts';
import type { Config } from './config.ts';
import { type Clock, systemClock } from './core/clock.ts';
import { JobService } from './core/job-service.ts';
import type { EventBus, ExecutionLog, JobStore } from './core/ports.ts';
import { Scheduler } from './core/scheduler/scheduler.ts';
import type { TaskResolver } from './core/task.ts';
import { createPerimeter, type Perimeter } from './graphql/perimeter.ts';
import { createKairosYoga, type KairosYoga } from './graphql/yoga.ts';
import { declareJobs, parseJobsFile } from './jobs-file.ts';
import { createLogger, type JsonLogger } from './logger.ts';
import { isMonitorPath, serveMonitor } from './monitor/routes.ts';
import { createBuiltinRegistry } from './tasks/registry.ts';

/** What the app needs from the file system; each runtime provides it (src/runtime/fs-platform.ts). */
export interface Platform {
  readTextFile(path: string): Promise<string>;
  /** mkdir -p */
  makeDirectory(path: string): Promise<void>;
}

export interface AppOptions {
  tasks?: TaskResolver;
  clock?: Clock;
  logger?: JsonLogger;
  platform?: Platform;
  /** How long a readiness probe waits for each store; default 2 s. */
  readyTimeoutMs?: number;
}

export interface StoreCheck {
  name: 'jobStore' | 'executionLog' | 'scheduler';
  /** What backs it: redis, memory, postgres, pglite. */
  kind: string;
  ok: boolean;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: StoreCheck[];
}

export interface App {
  readonly config: Config;
  readonly logger: JsonLogger;
  readonly scheduler: Scheduler;
  readonly service: JobService;
  readonly yoga: KairosYoga;
  /** The Host and Origin rules; runtimes check WebSocket upgrades with it (graphql/perimeter.ts). */
  readonly perimeter: Perimeter;
  /** GraphQL at /graphql, /healthz, /readyz. */
  fetch(request: Request): Promise<Response>;
  /** Migrations, declared jobs, then the scheduler. Throws (and changes nothing more) when a step fails. */
  start(): Promise<void>;
  /** Graceful: no new claims, running executions get config.shutdownTimeoutMs, then stores close. */
  stop(): Promise<void>;
  /** True once started, not stopping, and every store answers. */
  ready(): Promise<boolean>;
  readiness(): Promise<Readiness>;
}

const RETENTION_EVERY_MS = 60 * 60 * 1000;
const RETENTION_FIRST_MS = 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Stores {
  store: JobStore;
  bus: EventBus;
  log: ExecutionLog;
  storeKind: string;
  logKind: string;
  database: DatabaseConnection;
  /** Reaches the database without needing the schema (migrations may not have run yet). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger =
    options.logger ?? createLogger({ level: config.logLevel, bindings: { instance: config.instance } });
  const tasks = options.tasks ?? createBuiltinRegistry();
  const readyTimeoutMs = options.readyTimeoutMs ?? 2_000;
  const platform = options.platform;

  const stores = await openStores(config, clock, logger, platform);
  let parts: ReturnType<typeof wire>;
  try {
    parts = wire(config, stores, tasks, clock, logger);
  } catch (error) {
    await stores.close();
    throw error;
  }
  const { scheduler, service, yoga } = parts;
  const perimeter = createPerimeter({
    corsOrigins: config.corsOrigins,
    loopbackHostsOnly: config.anonymousScope !== null,
  });

  let state: 'created' | 'starting' | 'started' | 'stopping' | 'stopped' = 'created';
  let retentionTimer: ReturnType<Clock['setTimeout']> | undefined;
  let stopping: Promise<void> | null = null;

  const scheduleRetention = (delay: number): void => {
    const days = config.retentionDays;
    if (days === null) return;
    retentionTimer = clock.setTimeout(() => {
      const before = scheduler.now() - days * DAY_MS;
      void stores.log
        .deleteFinishedBefore(before)
        .then((deleted) => {
          if (deleted > 0)
            logger.info('old executions deleted', { deleted, before: new Date(before).toISOString() });
        })
        .catch((error: unknown) => logger.warn('deleting old executions failed', { error }))
        .finally(() => {
          if (state === 'started') scheduleRetention(RETENTION_EVERY_MS);
        });
    }, delay);
  };

  async function start(): Promise<void> {
    if (state !== 'created') throw new Error(`the app cannot start from state ${state}`);
    state = 'starting';
    await migrate(stores.database);
    if (config.jobsFile !== null) {
      if (!platform) throw new Error('KAIROS_JOBS_FILE is set but this runtime gave the app no file access');
      const text = await platform.readTextFile(config.jobsFile);
      const parsed = parseJobsFile(text, config.jobsFile, {
        tasks,
        defaultTimezone: config.timezone,
        now: scheduler.now(),
      });
      const result = await declareJobs(service, parsed, config.jobsFile);
      for (const skip of result.skipped) {
        logger.warn('declared job skipped', {
          file: config.jobsFile,
          index: skip.index,
          id: skip.id,
          reason: skip.reason,
        });
      }
      logger.info('jobs declared', { file: config.jobsFile, count: result.declared.length });
    }
    scheduler.start();
    state = 'started';
    scheduleRetention(RETENTION_FIRST_MS);
  }

  function stop(): Promise<void> {
    stopping ??= (async () => {
      state = 'stopping';
      if (retentionTimer !== undefined) clock.clearTimeout(retentionTimer);
      await scheduler.stop({ deadlineMs: config.shutdownTimeoutMs });
      // After the scheduler, so subscribers get the last events; this ends every subscription.
      await Promise.resolve(yoga.dispose()).catch((error: unknown) =>
        logger.warn('closing the GraphQL server failed', { error }),
      );
      await stores.close();
      state = 'stopped';
    })();
    return stopping;
  }

  async function readiness(): Promise<Readiness> {
    const probe = async (
      name: StoreCheck['name'],
      kind: string,
      check: () => Promise<unknown>,
    ): Promise<StoreCheck> => {
      try {
        await withTimeout(check(), readyTimeoutMs, `no answer within ${readyTimeoutMs} ms`);
        return { name, kind, ok: true };
      } catch (error) {
        return { name, kind, ok: false, error: describeError(error) };
      }
    };
    const checks = await Promise.all([
      probe('jobStore', stores.storeKind, () => stores.store.now()),
      probe('executionLog', stores.logKind, () => stores.ping()),
    ]);
    const running = state === 'started' && scheduler.running;
    checks.unshift({
      name: 'scheduler',
      kind: state,
      ok: running,
      ...(running ? {} : { error: `is ${state}` }),
    });
    return { ready: checks.every((c) => c.ok), checks };
  }

  async function fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/healthz' || pathname === '/readyz') {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
      }
      if (pathname === '/healthz') return json(200, { status: 'ok', instance: config.instance });
      const result = await readiness();
      return json(result.ready ? 200 : 503, {
        status: result.ready ? 'ready' : 'unavailable',
        instance: config.instance,
        checks: result.checks,
      });
    }
    // After the health endpoints: probes may use any name; they are read-only and hold no job data.
    const refused = perimeter.refuseRequest(request);
    if (refused) return refused;
    if (isMonitorPath(pathname)) return serveMonitor(request, platform);
    return yoga.fetch(request);
  }

  return {
    config,
    logger,
    scheduler,
    service,
    yoga,
    perimeter,
    fetch,
    start,
    stop,
    ready: async () => (await readiness()).ready,
    readiness,
  };
}

function wire(config: Config, stores: Stores, tasks: TaskResolver, clock: Clock, logger: JsonLogger) {
  const scheduler = new Scheduler({
    store: stores.store,
    log: stores.log,
    bus: stores.bus,
    tasks,
    clock,
    logger,
    instance: config.instance,
    defaultTimezone: config.timezone,
  });
  watchScheduler(scheduler, logger);
  const service = new JobService({
    store: stores.store,
    log: stores.log,
    tasks,
    defaultTimezone: config.timezone,
    scheduler,
  });
  const yoga: KairosYoga = createKairosYoga({
    service,
    bus: stores.bus,
    tokens: config.tokens,
    anonymousScope: config.anonymousScope,
    logger,
    graphiql: config.graphiql,
    maxBodyBytes: config.maxBodyBytes,
    corsOrigins: config.corsOrigins,
    maxSubscribers: config.maxSubscribers,
    maxSubscribersPerToken: config.maxSubscribersPerToken,
    version: packageJson.version,
    stores: { jobStore: stores.storeKind, executionLog: stores.logKind, eventBus: stores.storeKind },
  });
  return { scheduler, service, yoga };
}

async function openStores(
  config: Config,
  clock: Clock,
  logger: JsonLogger,
  platform?: Platform,
): Promise<Stores> {
  let redis: Redis | null = null;
  let store: JobStore;
  let bus: EventBus;
  if (config.redis) {
    redis = connectRedis(config.redis.url, config.instance, logger);
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
      database = openPostgres(config.database.url);
    } else {
      const { dataDir } = config.database;
      if (dataDir !== null) {
        if (!platform) throw new Error('an embedded database directory needs file access from the runtime');
        await platform.makeDirectory(dataDir);
      }
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

function connectRedis(url: string, instance: string, logger: JsonLogger): Redis {
  const redis = new Redis(url, {
    connectionName: `kairos:${instance}`,
    connectTimeout: 5_000,
    // Fail a command after two reconnect attempts instead of twenty: the API answers UNAVAILABLE
    // quickly and the scheduler's own backoff takes over, rather than requests hanging for seconds.
    maxRetriesPerRequest: 2,
  });
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

async function closeAll(store: JobStore, bus: EventBus, redis: Redis | null): Promise<void> {
  await Promise.allSettled([bus.close(), store.close()]);
  if (!redis) return;
  // quit waits for replies in flight; a Redis that is down would make it wait for the retries.
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}

function watchScheduler(scheduler: Scheduler, logger: JsonLogger): void {
  scheduler.events.on('error', ({ error, during }) => {
    if (error instanceof StoreResetError) {
      // Redis came back empty or was flushed (issue 9): every stored job is gone.
      logger.error(`DATA LOSS: ${error.message}; jobs not declared again must be added again`, {
        during,
        error,
      });
      return;
    }
    logger.warn(`scheduler: ${during} failed`, { error });
  });
  scheduler.events.on('listenerError', ({ error, event }) =>
    logger.warn('scheduler listener failed', { event, error }),
  );
  scheduler.events.on('started', ({ instance }) => logger.info('scheduler started', { instance }));
  scheduler.events.on('stopped', ({ abandoned }) => logger.info('scheduler stopped', { abandoned }));
  scheduler.events.on('execution', ({ type, execution }) => {
    const fields = { jobId: execution.jobId, executionId: execution.id, status: execution.status };
    if (type === 'failed' || type === 'timed_out' || type === 'abandoned' || type === 'missed') {
      logger.warn(`execution ${type}`, { ...fields, error: execution.error?.message });
    } else {
      logger.debug(`execution ${type}`, fields);
    }
  });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // UnavailableError says "Redis is unavailable"; the cause says why (ECONNREFUSED, timeout).
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
