/**
 * Composition root: config -> stores -> scheduler -> job service -> GraphQL -> routes. The app
 * never listens: it is a fetch handler plus start/stop, served by src/runtime/<runtime>.ts.
 * Web-standard APIs only (no node:*, Bun or Deno here, nor in src/app/), so it runs unchanged on
 * every runtime; what needs the file system comes in through `platform`.
 */
import packageJson from '../package.json' with { type: 'json' };
import { declareJobsFile } from './app/declared-jobs.ts';
import { logSchedulerEvents } from './app/event-log.ts';
import type { Platform } from './app/platform.ts';
import { createReadiness, type Readiness } from './app/readiness.ts';
import { createRetention } from './app/retention.ts';
import { appRoutes, createRouter } from './app/routes.ts';
import { watchStoreResets } from './app/store-reset.ts';
import { openStores, type Stores } from './app/stores.ts';
import type { Config } from './config.ts';
import { type Clock, systemClock } from './core/clock.ts';
import { JobService } from './core/job-service.ts';
import { Scheduler } from './core/scheduler/scheduler.ts';
import type { TaskResolver } from './core/task.ts';
import { createPerimeter, type Perimeter } from './graphql/perimeter.ts';
import { createKairosYoga, type KairosYoga } from './graphql/yoga.ts';
import { watchOverdueJobs } from './health/overdue.ts';
import { createLogger, type JsonLogger } from './logger.ts';
import { jobsByState } from './metrics/jobs-by-state.ts';
import { createMetrics } from './metrics/registry.ts';
import { createBuiltinRegistry } from './tasks/registry.ts';

export type { Platform } from './app/platform.ts';
export type { Readiness, StoreCheck } from './app/readiness.ts';

export interface AppOptions {
  tasks?: TaskResolver;
  clock?: Clock;
  logger?: JsonLogger;
  platform?: Platform;
  /** How long a readiness probe waits for each store; default 1 s (a hung store fails it fast). */
  readyTimeoutMs?: number;
}

export interface App {
  readonly config: Config;
  readonly logger: JsonLogger;
  readonly scheduler: Scheduler;
  readonly service: JobService;
  readonly yoga: KairosYoga;
  /** The Host and Origin rules; runtimes check WebSocket upgrades with it (graphql/perimeter.ts). */
  readonly perimeter: Perimeter;
  /** The routes of src/app/routes.ts: GraphQL at /graphql, the monitor, /healthz, /readyz. */
  fetch(request: Request): Promise<Response>;
  /**
   * Waits for the history (opened and migrated in the background), declares the jobs file, starts
   * the scheduler. Throws (and changes nothing more) when a step fails.
   */
  start(): Promise<void>;
  /** Graceful: no new claims, running executions get config.shutdownTimeoutMs, then stores close. */
  stop(): Promise<void>;
  /** True once started, not stopping, and every store answers. */
  ready(): Promise<boolean>;
  readiness(): Promise<Readiness>;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger =
    options.logger ?? createLogger({ level: config.logLevel, bindings: { instance: config.instance } });
  const tasks =
    options.tasks ??
    createBuiltinRegistry({
      httpConnectionsPerOrigin: config.httpConnectionsPerOrigin,
      traceparent: config.otlpEndpoint !== null,
    });
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
  const overdue = watchOverdueJobs({
    instance: config.instance,
    replicas: () => stores.store.replicas(),
    listJobs: (query) => service.listJobs(query),
    lastSuccessAt: (jobId) => service.lastSuccessAt(jobId),
    now: () => scheduler.now(),
    publish: (event) => scheduler.publish(event),
    logger,
  });
  const metrics = createMetrics({
    events: scheduler.events,
    jobsByState: jobsByState(service, () => clock.now()),
    subscribers: () => yoga.subscriberCounts.counts(),
  });
  // Loaded only when configured: the OpenTelemetry SDK is not worth its start-up cost otherwise.
  const tracing =
    config.otlpEndpoint === null
      ? null
      : (await import('./metrics/tracing.ts')).startTracing({
          endpoint: config.otlpEndpoint,
          events: scheduler.events,
          instance: config.instance,
          version: packageJson.version,
        });
  const perimeter = createPerimeter({
    corsOrigins: config.corsOrigins,
    loopbackHostsOnly: config.anonymousScope !== null,
  });

  let state: 'created' | 'starting' | 'started' | 'stopping' | 'stopped' = 'created';
  let stopping: Promise<void> | null = null;
  const retention = createRetention({
    days: config.retentionDays,
    log: stores.log,
    audit: stores.audit,
    clock,
    now: () => scheduler.now(),
    logger,
  });
  const jobsFile = config.jobsFile;
  const declare =
    jobsFile === null
      ? null
      : () =>
          declareJobsFile({
            file: jobsFile,
            platform,
            service,
            tasks,
            defaultTimezone: config.timezone,
            now: scheduler.now(),
            logger,
          });
  const resets = watchStoreResets({ scheduler, logger, redeclare: declare, now: () => clock.now() });
  const readiness = createReadiness({
    stores,
    timeoutMs: options.readyTimeoutMs ?? 1_000,
    scheduler: () => ({ state, running: scheduler.running }),
    incidents: () => [resets.check()],
  });

  async function start(): Promise<void> {
    if (state !== 'created') throw new Error(`the app cannot start from state ${state}`);
    state = 'starting';
    // The history opened in the background since createApp; the scheduler needs it (a fire's row
    // is written before it runs), so it starts once the history is there.
    await stores.history;
    if (stopping) return; // stopped meanwhile (a signal during the start)
    await declare?.();
    if (stopping) return;
    scheduler.start();
    state = 'started';
    retention.start();
    overdue.start();
  }

  function stop(): Promise<void> {
    stopping ??= (async () => {
      state = 'stopping';
      retention.stop();
      await overdue.stop();
      await scheduler.stop({ deadlineMs: config.shutdownTimeoutMs });
      // After the scheduler, so the spans of the last runs are exported too.
      await tracing
        ?.shutdown()
        .catch((error: unknown) => logger.warn('exporting the last traces failed', { error }));
      // After the scheduler, so subscribers get the last events; this ends every subscription.
      await Promise.resolve(yoga.dispose()).catch((error: unknown) =>
        logger.warn('closing the GraphQL server failed', { error }),
      );
      await stores.close();
      state = 'stopped';
    })();
    return stopping;
  }

  const routes = appRoutes({ instance: config.instance, readiness, yoga, platform, metrics });
  return {
    config,
    logger,
    scheduler,
    service,
    yoga,
    perimeter,
    fetch: createRouter(routes, perimeter),
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
    audit: stores.audit,
    tasks,
    clock,
    logger,
    instance: config.instance,
    defaultTimezone: config.timezone,
    lateStartMs: config.lateStartMs,
  });
  logSchedulerEvents(scheduler, logger);
  const service = new JobService({
    store: stores.store,
    log: stores.log,
    audit: stores.audit,
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
