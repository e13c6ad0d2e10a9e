/**
 * A scheduler on memory adapters and a fake clock, with a recording task registry, for the
 * fake-clock tests of every timing rule.
 */
import { createMemoryEventBus } from '../../src/adapters/memory/event-bus.ts';
import { createMemoryExecutionLog } from '../../src/adapters/memory/execution-log.ts';
import { createMemoryJobStore } from '../../src/adapters/memory/job-store.ts';
import type { Execution } from '../../src/core/execution.ts';
import type { AddJobInput } from '../../src/core/job.ts';
import { JobService } from '../../src/core/job-service.ts';
import type { ExecutionLog, JobStore, SequencedEvent } from '../../src/core/ports.ts';
import { Scheduler, type SchedulerOptions } from '../../src/core/scheduler/scheduler.ts';
import type { TaskContext, TaskHandler } from '../../src/core/task.ts';
import { TaskRegistry } from '../../src/tasks/registry.ts';
import { FakeClock, settle } from './fake-clock.ts';

export interface Harness {
  clock: FakeClock;
  scheduler: Scheduler;
  store: JobStore;
  log: ExecutionLog;
  service: JobService;
  tasks: TaskRegistry;
  calls: { args: unknown; context: TaskContext; at: number }[];
  events: SequencedEvent[];
  errors: unknown[];
  executions(jobId?: string): Promise<Execution[]>;
  add(input: Partial<AddJobInput> & Pick<AddJobInput, 'trigger'>): ReturnType<JobService['addJob']>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function createHarness(
  options: {
    start?: string;
    handler?: TaskHandler;
    scheduler?: Partial<SchedulerOptions>;
    autoStart?: boolean;
    /** Wraps the ports the scheduler sees (fault injection); the service and reads use the real ones. */
    wrap?: <P extends object>(port: 'store' | 'log', adapter: P) => P;
  } = {},
): Harness {
  const clock = new FakeClock(options.start ?? '2026-01-01T00:00:00.000Z');
  const calls: Harness['calls'] = [];
  const tasks = new TaskRegistry();
  const handler = options.handler ?? (() => undefined);
  tasks.defineTask('record', (args, context) => {
    calls.push({ args, context, at: clock.now() });
    return handler(args, context);
  });
  const store = createMemoryJobStore({ clock });
  const log = createMemoryExecutionLog();
  const bus = createMemoryEventBus();
  const events: SequencedEvent[] = [];
  bus.subscribe((event) => events.push(event));
  // One process, so nothing changes the schedule behind its back: no need to poll every second.
  const wrap = options.wrap ?? (<P>(_port: string, adapter: P) => adapter);
  const scheduler = new Scheduler({
    store: wrap('store', store),
    log: wrap('log', log),
    bus,
    tasks,
    clock,
    instance: 'test',
    maxSleepMs: 3_600_000,
    // Housekeeping every second would be 86,400 rounds per simulated day: tests that span days
    // keep the longer leases; the failover test sets the defaults back.
    slotLeaseMs: 30_000,
    reapIntervalMs: 5_000,
    livenessTtlMs: 30_000,
    ...options.scheduler,
  });
  const errors: unknown[] = [];
  scheduler.events.on('error', ({ error }) => errors.push(error));
  const service = new JobService({ store, log, tasks, defaultTimezone: 'UTC', scheduler });
  if (options.autoStart !== false) scheduler.start();
  return {
    clock,
    scheduler,
    store,
    log,
    service,
    tasks,
    calls,
    events,
    errors,
    async executions(jobId) {
      await settle();
      const page = await log.list({ first: 100_000, jobId: jobId ?? null });
      return page.items.sort((a, b) => a.scheduledFor - b.scheduledFor || a.attempt - b.attempt);
    },
    add(input) {
      return service.addJob({ task: 'record', ...input });
    },
    async [Symbol.asyncDispose]() {
      await scheduler.stop({ deadlineMs: 0 });
      await store.close();
      await log.close();
      await bus.close();
    },
  };
}

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A handler that runs until released, and rejects when its signal is aborted (a well-behaved task). */
export function slowHandler(): { handler: TaskHandler; release: () => void } {
  const pending: (() => void)[] = [];
  return {
    handler: (_args, context) =>
      new Promise<void>((resolve, reject) => {
        pending.push(resolve);
        context.signal.addEventListener('abort', () => reject(context.signal.reason));
      }),
    release: () => pending.shift()?.(),
  };
}

/** Another replica on the harness's stores, clock and tasks, with a bus of its own; not started. */
export function peerOf(h: Harness, options: Partial<SchedulerOptions> & { instance: string }): Scheduler {
  return new Scheduler({
    store: h.store,
    log: h.log,
    bus: createMemoryEventBus(),
    tasks: h.tasks,
    clock: h.clock,
    ...options,
  });
}
