/**
 * The scheduler: a small façade that wires the fire path and owns its state machine.
 *
 *   claim loop -> fire pipeline (plan, record, commit, dispatch) -> runner -> outbox
 *                 extra runs (manual, retries)      slot keeper (renew, reap, sweep)
 *
 * The path of one fire is one-way: claim -> record rows -> commit next run time -> take a slot at
 * the due time -> run -> release the slot -> record the result. Committing before the handler runs
 * lets the next fire of a long-running job be claimed (and skipped by maxInstances) while it runs;
 * the unique key on the rows keeps a retaken claim from running a fire twice. docs/design.md has
 * the accounting invariant every step keeps.
 */
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { SchedulerEvents } from '../events.ts';
import type { Execution, ExecutionStatus } from '../execution.ts';
import { uuidv7 } from '../ids.ts';
import type { Job } from '../job.ts';
import type { JsonValue } from '../json.ts';
import type {
  AuditLog,
  BusEvent,
  EventBus,
  ExecutionEventType,
  ExecutionLog,
  JobEventType,
  JobStore,
} from '../ports.ts';
import type { Logger, TaskResolver } from '../task.ts';
import { ClaimLoop } from './claim-loop.ts';
import { ExtraRuns } from './extra-runs.ts';
import { FirePipeline } from './fire-pipeline.ts';
import { HERD_RUNS, HerdHold } from './herd-hold.ts';
import { Liveness } from './liveness.ts';
import { Outbox, type OutboxItem } from './outbox.ts';
import { PauseOnFailure } from './pause-on-failure.ts';
import { Runner } from './runner.ts';
import { SlotKeeper } from './slot-keeper.ts';
import { StoreClock } from './store-clock.ts';

export interface SchedulerOptions {
  store: JobStore;
  log: ExecutionLog;
  bus: EventBus;
  tasks: TaskResolver;
  /** Where the quarantine of a poison job is recorded (by "system"); the job service records the rest. */
  audit?: AuditLog;
  clock?: Clock;
  logger?: Logger;
  /** This replica's name, recorded on every row it decides. */
  instance?: string;
  defaultTimezone?: string;
  /** Longest sleep between claims: bounds how late a change made by another replica is seen without a wake-up. */
  maxSleepMs?: number;
  claimBatchSize?: number;
  claimLeaseMs?: number;
  slotLeaseMs?: number;
  reapIntervalMs?: number;
  /** How long a heartbeat keeps this replica live; a dead replica's work is taken over past it. */
  livenessTtlMs?: number;
  /** A running row this long past its due time that no live run holds is settled as abandoned. */
  staleRunningMs?: number;
  /** Upper bound of the adaptive lookahead. */
  maxLookaheadMs?: number;
  /** Results waiting to be written before the loop stops claiming (back-pressure). */
  outboxCapacity?: number;
  /** A run starting this late after its due time emits `lateStart` (default 1 s). */
  lateStartMs?: number;
  random?: () => number;
}

type State = 'idle' | 'running' | 'stopping' | 'stopped';

const DEFAULT_SLOT_LEASE_MS = 5_000;
/** Heartbeats come every second: a replica is declared dead after about three missed ones. */
const DEFAULT_LIVENESS_TTL_MS = 3_000;

const TAKES_SLOT_BACK = new Set<JobEventType>(['updated', 'paused', 'rescheduled', 'removed']);

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const EVENT_OF: Record<ExecutionStatus, ExecutionEventType> = {
  pending: 'scheduled',
  running: 'started',
  success: 'succeeded',
  failed: 'failed',
  timed_out: 'timed_out',
  missed: 'missed',
  skipped: 'skipped',
  abandoned: 'abandoned',
  cancelled: 'cancelled',
};

export class Scheduler {
  readonly events = new SchedulerEvents();
  readonly instance: string;
  readonly store: JobStore;
  readonly log: ExecutionLog;
  readonly audit: AuditLog | undefined;
  readonly bus: EventBus;
  readonly tasks: TaskResolver;
  readonly logger: Logger;
  readonly defaultTimezone: string;
  private readonly clock: StoreClock;
  private readonly runner: Runner;
  private readonly outbox: Outbox;
  private readonly extra: ExtraRuns;
  private readonly loop: ClaimLoop;
  private readonly keeper: SlotKeeper;
  private readonly liveness: Liveness;
  private readonly unsubscribe: (() => void)[] = [];
  private state: State = 'idle';
  private readonly lateStartMs: number;

  constructor(options: SchedulerOptions) {
    this.store = options.store;
    this.log = options.log;
    this.audit = options.audit;
    this.bus = options.bus;
    this.tasks = options.tasks;
    this.logger = options.logger ?? silent;
    this.instance = options.instance ?? `kairos-${crypto.randomUUID().slice(0, 8)}`;
    this.defaultTimezone = options.defaultTimezone ?? 'UTC';
    this.lateStartMs = options.lateStartMs ?? 1_000;
    // Short leases renewed every second: a dead replica's runs are reaped within seconds (Quartz's
    // and BullMQ's 30 s defaults leave a job SKIPPED for half a minute after a crash).
    const slotLeaseMs = options.slotLeaseMs ?? DEFAULT_SLOT_LEASE_MS;
    const maxSleepMs = options.maxSleepMs ?? 1_000;
    const local = options.clock ?? systemClock;
    this.clock = new StoreClock(local, () => this.store.now());
    const publishExecution = (type: ExecutionEventType, execution: Execution) =>
      this.publish({ stream: 'execution', type, at: this.clock.now(), execution });
    this.liveness = new Liveness({
      store: this.store,
      log: this.log,
      clock: this.clock,
      instance: this.instance,
      ttlMs: options.livenessTtlMs ?? DEFAULT_LIVENESS_TTL_MS,
      logger: this.logger,
      events: this.events,
      publishExecution,
      onLifeEnded: () => this.runner.dropWaiting(),
      onRequeued: (dueAt) => {
        this.extra.noteRetry(dueAt);
        this.wake();
      },
    });
    const owner = () => this.liveness.id;
    // A herd in flight holds results and slot returns back for a moment (herd-hold.ts).
    const herd = () => this.runner.inFlight >= HERD_RUNS;
    this.outbox = new Outbox({
      log: this.log,
      clock: local,
      hold: new HerdHold({ clock: local, busy: herd }),
      capacity: options.outboxCapacity,
      onWritten: (items) => this.written(items),
      onError: (error) => this.events.emit('error', { error, during: 'record results' }),
    });
    const failures = new PauseOnFailure({
      store: this.store,
      log: this.log,
      clock: this.clock,
      events: this.events,
      publish: (event) => this.publish(event),
      onPaused: (job, paused) => this.auditSystemPause(job, paused, 'paused'),
    });
    this.runner = new Runner({
      store: this.store,
      clock: this.clock,
      tasks: this.tasks,
      logger: this.logger,
      instance: this.instance,
      owner,
      rejoin: () => this.liveness.beat(),
      slotLeaseMs,
      outbox: this.outbox,
      hold: new HerdHold({ clock: local, busy: herd }),
      events: this.events,
      random: options.random ?? Math.random,
      publish: publishExecution,
      onFailedRun: (job, row) => failures.failed(job, row),
    });
    this.extra = new ExtraRuns({
      store: this.store,
      log: this.log,
      clock: this.clock,
      runner: this.runner,
      outbox: this.outbox,
      instance: this.instance,
      owner,
      slotLeaseMs,
      pollMs: maxSleepMs,
      events: this.events,
      publishExecution,
    });
    const pipeline = new FirePipeline({
      store: this.store,
      log: this.log,
      clock: this.clock,
      runner: this.runner,
      instance: this.instance,
      owner,
      logger: this.logger,
      events: this.events,
      publish: (event) => this.publish(event),
      publishExecution,
      onQuarantined: (job, paused) => this.auditSystemPause(job, paused, 'quarantined'),
    });
    this.loop = new ClaimLoop({
      store: this.store,
      clock: this.clock,
      pipeline,
      extra: this.extra,
      outbox: this.outbox,
      events: this.events,
      logger: this.logger,
      owner,
      rejoin: () => this.liveness.beat(),
      peers: () => this.liveness.livePeers,
      claimBatchSize: options.claimBatchSize ?? 1_000,
      claimLeaseMs: options.claimLeaseMs ?? 30_000,
      maxSleepMs,
      maxLookaheadMs: options.maxLookaheadMs ?? 1_000,
    });
    this.keeper = new SlotKeeper({
      store: this.store,
      log: this.log,
      clock: this.clock,
      runner: this.runner,
      outbox: this.outbox,
      liveness: this.liveness,
      recording: (id) => pipeline.has(id),
      slotLeaseMs,
      reapIntervalMs: options.reapIntervalMs ?? 1_000,
      // Longer than a slot lease: a live replica's row may wait this long for a slow result write.
      staleRunningMs: options.staleRunningMs ?? 30_000,
      events: this.events,
      publishExecution,
    });
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Runs registered here and not finished (waiting for their due time or running). */
  get runningExecutions(): number {
    return this.runner.size;
  }

  /** The store's clock as this replica best knows it. */
  now(): number {
    return this.clock.now();
  }

  start(): void {
    if (this.state !== 'idle') throw new Error(`scheduler cannot start from state ${this.state}`);
    this.state = 'running';
    const off = this.store.onScheduleChange?.(() => this.wake());
    if (off) this.unsubscribe.push(off);
    this.events.emit('started', { instance: this.instance });
    // Learn the store's clock before the first claim, so the first fires start on time too.
    // and join the cluster before claiming, so every claim is tied to this replica's life.
    void this.clock
      .sync(3)
      .catch((error: unknown) => this.events.emit('error', { error, during: 'clock sync' }))
      .then(() => this.liveness.beat())
      .catch((error: unknown) => this.events.emit('error', { error, during: 'heartbeat' }))
      .finally(() => {
        if (this.state !== 'running') return;
        this.keeper.start();
        this.loop.start();
      });
  }

  wake(): void {
    if (this.state === 'running') this.loop.wake();
  }

  /** Pending rows were stored outside the scheduler (a backfill): look for them when the first is due. */
  notePending(dueAt: number): void {
    this.extra.noteRetry(dueAt);
    this.wake();
  }

  /**
   * A job paused by the cluster, not by anyone (a poison job quarantined, pauseAfterFailures): the
   * trail says so, as "system".
   */
  private auditSystemPause(job: Job, paused: Job, action: 'quarantined' | 'paused'): void {
    if (!this.audit) return;
    const at = paused.pausedAt ?? this.clock.now();
    const [before, after] = [job as unknown as JsonValue, paused as unknown as JsonValue];
    const entry = { id: uuidv7(at), jobId: job.id, action, actor: 'system', at };
    this.audit
      .record([{ ...entry, before, after }])
      .catch((error: unknown) => this.events.emit('error', { error, during: 'audit' }));
  }

  /** Runs a job once now, outside its schedule (see ExtraRuns.runNow). */
  runNow(job: Job): Promise<Execution | null> {
    return this.extra.runNow(job);
  }

  /**
   * Graceful stop: claim nothing more; fires already claimed start at their due time (at most the
   * lookahead away); running executions get until the deadline, then are aborted and recorded
   * `abandoned`; results are written before it resolves (or left `running` for the sweep when the
   * log does not answer within the deadline).
   */
  async stop(options: { deadlineMs?: number } = {}): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    for (const off of this.unsubscribe.splice(0)) off();
    const deadlineMs = options.deadlineMs ?? 10_000;
    const local = this.clock.local;
    const deadline = local.now() + deadlineMs;
    await this.loop.stop();
    // Claimed-ahead fires are due within the lookahead: let them start rather than drop them
    // (a lagging loop may start them late, so wait for the starts, not for the lookahead).
    await this.runner.waitStarted(deadline - local.now());
    await this.runner.waitRunning(deadline - local.now());
    const abandoned = this.runner.abandonAll('the scheduler stopped before the execution finished');
    const flushed = await this.outbox.flush(Math.max(1_000, deadlineMs));
    if (!flushed)
      this.logger.warn('results not yet recorded at stop; the sweep settles them', {
        left: this.outbox.size,
      });
    await this.keeper.stop();
    this.state = 'stopped';
    this.events.emit('stopped', { instance: this.instance, abandoned });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Publish to the bus and to local listeners; never throws. */
  publish(event: BusEvent): void {
    try {
      this.bus.publish(event);
    } catch (error) {
      this.events.emit('error', { error, during: 'publish' });
    }
    if (event.stream === 'execution') {
      this.events.emit('execution', event);
      if (event.type === 'started') this.noteStart(event.execution);
    } else {
      // A fire claimed before the change keeps running as before, without the slot it took ahead.
      if (TAKES_SLOT_BACK.has(event.type)) void this.runner.giveSlotsBack(event.jobId);
      this.events.emit('job', event);
    }
  }

  private noteStart(execution: Execution): void {
    if (execution.startedAt === null) return;
    const lateMs = execution.startedAt - (execution.dueAt ?? execution.scheduledFor);
    if (lateMs > this.lateStartMs)
      this.events.emit('lateStart', {
        jobId: execution.jobId,
        executionId: execution.id,
        lateMs,
        thresholdMs: this.lateStartMs,
      });
  }

  /** Results are stored: tell the world, note the retries. */
  private written(items: OutboxItem[]): void {
    for (const { row, retry } of items) {
      this.publish({ stream: 'execution', type: EVENT_OF[row.status], at: this.clock.now(), execution: row });
      if (retry) {
        this.extra.noteRetry(retry.dueAt ?? this.clock.now());
        this.publish({ stream: 'execution', type: 'scheduled', at: this.clock.now(), execution: retry });
      }
    }
    if (items.some((item) => item.retry)) this.wake();
  }
}
