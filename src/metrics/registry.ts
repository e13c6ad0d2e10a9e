/**
 * The Prometheus metrics of one app (issue 10), on a registry of its own so several apps in one
 * process (tests) never share counters. The scheduler's events feed the counters and histograms as
 * they happen; the gauges are read when Prometheus scrapes.
 *
 * Counters count this replica's work: sum them over replicas (`sum by (status)`) for the cluster.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { UnavailableError } from '../core/errors.ts';
import type { SchedulerEvents } from '../core/events.ts';
import { type Execution, latenessMs } from '../core/execution.ts';

export interface MetricsSources {
  events: SchedulerEvents;
  /** Jobs by state (active, paused, finished), read on each scrape. */
  jobsByState(): Promise<Record<string, number>>;
  /** Open subscriptions by transport (sse, ws). */
  subscribers(): Record<string, number>;
}

/** Lateness is usually milliseconds; a store outage can make it minutes. */
const LATENESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
const ROUND_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const FINAL_EVENTS = new Set([
  'succeeded',
  'failed',
  'timed_out',
  'missed',
  'skipped',
  'abandoned',
  'cancelled',
]);

export interface Metrics {
  readonly registry: Registry;
  /** The exposition text and its content type. */
  scrape(): Promise<{ body: string; contentType: string }>;
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const fires = new Counter({
    name: 'kairos_fires_total',
    help: 'History rows this replica brought to a final status, by status.',
    labelNames: ['status'],
    registers,
  });
  const lateness = new Histogram({
    name: 'kairos_fire_lateness_seconds',
    help: "From an attempt's nominal time (a retry's backoff end) to its start.",
    buckets: LATENESS_BUCKETS,
    registers,
  });
  const duration = new Histogram({
    name: 'kairos_execution_duration_seconds',
    help: 'How long finished runs took, by status.',
    labelNames: ['status'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  // Ids, not a running sum: a final event whose start this replica never saw cannot drive it below 0.
  const running = new Set<string>();
  new Gauge({
    name: 'kairos_executions_running',
    help: 'Runs this replica started that have not finished.',
    registers,
    collect() {
      this.set(running.size);
    },
  });
  new Gauge({
    name: 'kairos_jobs',
    help: 'Stored jobs by state: active (has a next run), paused, finished.',
    labelNames: ['state'],
    registers,
    async collect() {
      const counts = await sources.jobsByState();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'kairos_subscribers',
    help: 'Open GraphQL subscriptions on this replica, by transport.',
    labelNames: ['transport'],
    registers,
    collect() {
      for (const [transport, n] of Object.entries(sources.subscribers())) this.set({ transport }, n);
    },
  });
  const rounds = new Histogram({
    name: 'kairos_claim_round_seconds',
    help: 'One claim round: claim due jobs, plan and record their fires.',
    buckets: ROUND_BUCKETS,
    registers,
  });
  const storeErrors = new Counter({
    name: 'kairos_store_errors_total',
    help: 'Scheduler work that failed, by the store that was unavailable (other: not a store outage).',
    labelNames: ['store'],
    registers,
  });
  const lateStarts = new Counter({
    name: 'kairos_fires_late_total',
    help: 'Runs that started later than KAIROS_LATE_START_MS after their due time (this replica is saturated).',
    registers,
  });
  sources.events.on('lateStart', () => lateStarts.inc());
  for (const status of ['success', 'failed', 'timed_out', 'missed', 'skipped', 'abandoned', 'cancelled'])
    fires.inc({ status }, 0); // every series exists from the start, so rate() sees its first rise

  const observeFinal = (execution: Execution) => {
    running.delete(execution.id);
    fires.inc({ status: execution.status });
    const late = latenessMs(execution);
    if (late !== null) lateness.observe(late / 1000);
    if (execution.durationMs !== null)
      duration.observe({ status: execution.status }, execution.durationMs / 1000);
  };
  sources.events.on('execution', ({ type, execution }) => {
    if (type === 'started') running.add(execution.id);
    else if (FINAL_EVENTS.has(type)) observeFinal(execution);
  });
  sources.events.on('tick', ({ durationMs }) => rounds.observe(durationMs / 1000));
  // A stopped scheduler runs nothing: runs it lost track of (abandoned by another replica) go too.
  sources.events.on('stopped', () => running.clear());
  sources.events.on('error', ({ error }) => storeErrors.inc({ store: storeOf(error) }));
  // prom-client's process and runtime defaults read node:process, node:v8 and node:perf_hooks, which
  // Bun and Deno provide too (checked with `npm run start:bun` / `start:deno`).
  collectDefaultMetrics({ register: registry });

  return {
    registry,
    async scrape() {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}

/** The store an error (or one of its causes) says was unavailable. */
function storeOf(error: unknown): string {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof UnavailableError) return e.store.toLowerCase();
  return 'other';
}
