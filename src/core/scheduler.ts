/**
 * The scheduler: sleeps until the earliest due time, claims due jobs from the JobStore, decides
 * each fire (misfire grace, coalesce, maxInstances), records it in the ExecutionLog, moves the
 * schedule on, and runs the handlers. Job commands (add, pause, ...) live in job-commands.ts.
 *
 * The path of one fire is one-way: claim -> insert rows -> commit next run time -> run -> finish.
 * Committing before the handler runs lets the next fire of a long-running job be claimed (and
 * skipped by maxInstances) while it runs; the unique key on the rows keeps a retaken claim from
 * running a fire twice.
 *
 * Bookkeeping (claim, slots, insert, commit) for 1,000 fires takes tens of milliseconds, so fires
 * are claimed a little ahead of their due time (an adaptive lookahead, twice the recent
 * bookkeeping time) and started by a local timer at their due time: start lateness is then that
 * of a bare timer, not of the round trips.
 */
import type { Clock, TimerHandle } from './clock.ts';
import { systemClock } from './clock.ts';
import { SchedulerEvents } from './events.ts';
import type { Execution, FinalStatus, TriggerKind } from './execution.ts';
import type { RunOutcome } from './executor.ts';
import { runHandler } from './executor.ts';
import type { PlannedFire } from './fire-plan.ts';
import { planFires } from './fire-plan.ts';
import { uuidv7 } from './ids.ts';
import type { Job } from './job.ts';
import { retryDelay } from './job-factory.ts';
import type {
  BusEvent,
  ClaimBatch,
  CommitRequest,
  EventBus,
  ExecutionEventType,
  ExecutionFinish,
  ExecutionLog,
  JobStore,
  Slot,
} from './ports.ts';
import type { Logger, TaskResolver } from './task.ts';
import { WriteBatcher } from './write-batcher.ts';

export interface SchedulerOptions {
  store: JobStore;
  log: ExecutionLog;
  bus: EventBus;
  tasks: TaskResolver;
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
  /** Upper bound of the adaptive lookahead (see above). */
  maxLookaheadMs?: number;
  random?: () => number;
}

interface ActiveRun {
  job: Job;
  execution: Execution;
  slot: Slot;
  controller: AbortController;
  /** Resolves when the run is finished or abandoned. */
  done: Promise<void>;
  settle: () => void;
  abandoned: boolean;
  /** Set while the run waits for its due time. */
  startTimer: Cancel | null;
}

/** A fire planned ahead whose maxInstances slot was busy at claim time: decided again when due. */
interface DeferredFire {
  job: Job;
  scheduledFor: number;
  cancel: Cancel;
}

type Cancel = () => void;
const MIN_LOOKAHEAD_MS = 5;
const MAX_ROUNDS_IN_FLIGHT = 4;

type State = 'idle' | 'running' | 'stopping' | 'stopped';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export class Scheduler {
  readonly events = new SchedulerEvents();
  readonly instance: string;
  readonly store: JobStore;
  readonly log: ExecutionLog;
  readonly bus: EventBus;
  readonly tasks: TaskResolver;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly defaultTimezone: string;
  readonly random: () => number;
  private readonly maxSleepMs: number;
  private readonly claimBatchSize: number;
  private readonly claimLeaseMs: number;
  private readonly slotLeaseMs: number;
  private readonly reapIntervalMs: number;
  private readonly maxLookaheadMs: number;
  /** Recent bookkeeping time of a claim round (decaying maximum), ms. */
  private bookkeepingMs = 100;

  private state: State = 'idle';
  private timer: TimerHandle | undefined;
  private target = 0;
  private armSeq = 0;
  private ticking: Promise<void> | null = null;
  private tickAgain = false;
  private failures = 0;
  private lastClaimEmpty = false;
  /** Store clock minus local clock, so sleeps aim at the store's notion of "due". */
  private skew = 0;
  private readonly clockSamples: { rtt: number; skew: number }[] = [];
  private readonly active = new Map<string, ActiveRun>();
  private readonly retries = new Set<TimerHandle>();
  private readonly deferred = new Set<DeferredFire>();
  private readonly startGroups = new Map<number, { runs: Set<ActiveRun>; cancel: Cancel }>();
  private housekeeping: TimerHandle | undefined;
  private lastReap = 0;
  private unsubscribeChanges: (() => void) | undefined;
  private readonly finishes: WriteBatcher<ExecutionFinish, undefined>;

  constructor(options: SchedulerOptions) {
    this.store = options.store;
    this.log = options.log;
    this.bus = options.bus;
    this.tasks = options.tasks;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silent;
    this.instance = options.instance ?? `kairos-${crypto.randomUUID().slice(0, 8)}`;
    this.defaultTimezone = options.defaultTimezone ?? 'UTC';
    this.maxSleepMs = options.maxSleepMs ?? 1_000;
    this.claimBatchSize = options.claimBatchSize ?? 1_000;
    this.claimLeaseMs = options.claimLeaseMs ?? 30_000;
    this.slotLeaseMs = options.slotLeaseMs ?? 30_000;
    this.reapIntervalMs = options.reapIntervalMs ?? 5_000;
    this.maxLookaheadMs = options.maxLookaheadMs ?? 1_000;
    this.random = options.random ?? Math.random;
    this.finishes = new WriteBatcher(async (items) => {
      await this.log.finish(items);
      return items.map(() => undefined);
    });
  }

  get running(): boolean {
    return this.state === 'running';
  }

  get runningExecutions(): number {
    return this.active.size;
  }

  /** The store's clock as this replica best knows it. */
  now(): number {
    return this.clock.now() + this.skew;
  }

  start(): void {
    if (this.state !== 'idle') throw new Error(`scheduler cannot start from state ${this.state}`);
    this.state = 'running';
    this.unsubscribeChanges = this.store.onScheduleChange?.(() => this.wake());
    this.scheduleHousekeeping();
    this.events.emit('started', { instance: this.instance });
    // Learn the store's clock before the first claim, so the first fires start on time too.
    void this.syncClock(3).finally(() => this.wake());
  }

  /**
   * Estimate store clock minus local clock. The store reads its clock somewhere inside the round
   * trip, so the midpoint is off by at most half of it: keep the sample with the shortest round trip
   * among the recent ones (a loaded event loop makes single samples noisy by tens of ms).
   */
  private async syncClock(samples: number): Promise<void> {
    for (let i = 0; i < samples; i++) {
      try {
        const before = this.clock.now();
        const storeNow = await this.store.now();
        const after = this.clock.now();
        this.clockSamples.push({ rtt: after - before, skew: storeNow - (before + after) / 2 });
      } catch (error) {
        this.events.emit('error', { error, during: 'clock sync' });
        return;
      }
    }
    this.clockSamples.splice(0, Math.max(0, this.clockSamples.length - 8));
    const best = this.clockSamples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
    this.skew = Math.round(best.skew);
  }

  /** Re-examine the schedule now (a job was added or rescheduled). */
  wake(): void {
    if (this.state !== 'running') return;
    this.clearTimer();
    void this.tick();
  }

  /**
   * Graceful stop: claim nothing more, let running executions finish until the deadline, then abort
   * them and record them `abandoned`.
   */
  async stop(options: { deadlineMs?: number } = {}): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.clearTimer();
    this.unsubscribeChanges?.();
    for (const handle of this.retries) this.clock.clearTimeout(handle);
    this.retries.clear();
    await this.ticking;
    await this.dropDeferred();
    await this.waitForActive(options.deadlineMs ?? 10_000);
    const left = [...this.active.values()];
    for (const run of left) this.abandon(run, 'the scheduler stopped before the execution finished');
    await this.finishes
      .flush()
      .catch((error: unknown) => this.events.emit('error', { error, during: 'stop' }));
    if (this.housekeeping !== undefined) this.clock.clearTimeout(this.housekeeping);
    this.state = 'stopped';
    this.events.emit('stopped', { instance: this.instance, abandoned: left.length });
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
    if (event.stream === 'execution') this.events.emit('execution', event);
    else this.events.emit('job', event);
  }

  private clearTimer(): void {
    this.armSeq++;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return this.ticking;
    }
    this.ticking = this.claimRounds().finally(() => {
      this.ticking = null;
      void this.arm();
    });
    return this.ticking;
  }

  /**
   * Claim rounds until nothing more is due. A full batch means more is waiting: the next claim goes
   * out while the previous batch is still being recorded (up to MAX_ROUNDS_IN_FLIGHT), so a burst
   * drains at the rate of the stores, not of one round trip after another.
   */
  private async claimRounds(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let failed = false;
    do {
      this.tickAgain = false;
      if (this.state !== 'running' || failed) break;
      const began = this.clock.now();
      const lookahead = this.lookaheadMs();
      let batch: ClaimBatch;
      try {
        batch = await this.store.claimDue(this.claimBatchSize, this.claimLeaseMs, lookahead);
      } catch (error) {
        this.claimFailed(error);
        break;
      }
      this.lastClaimEmpty = batch.claims.length === 0;
      const round = this.processClaims(batch, batch.now + lookahead).then(
        (started) => {
          if (batch.claims.length > 0) {
            this.bookkeepingMs = Math.max(this.clock.now() - began, this.bookkeepingMs * 0.8);
          }
          this.failures = 0;
          this.events.emit('tick', { claimed: batch.claims.length, started, at: batch.now });
        },
        (error: unknown) => {
          failed = true;
          this.claimFailed(error);
        },
      );
      inFlight.add(round);
      void round.finally(() => inFlight.delete(round));
      if (batch.claims.length >= this.claimBatchSize) {
        this.tickAgain = true;
        if (inFlight.size >= MAX_ROUNDS_IN_FLIGHT) await Promise.race(inFlight);
      } else {
        await round;
      }
    } while (this.tickAgain);
    await Promise.all(inFlight);
  }

  private claimFailed(error: unknown): void {
    this.failures++;
    this.events.emit('error', { error, during: 'claim' });
    this.logger.error('claiming due jobs failed', { error, failures: this.failures });
  }

  /** Sleep until the earliest due time (capped); a timer that wakes early re-arms for the rest. */
  private async arm(): Promise<void> {
    if (this.state !== 'running') return;
    this.clearTimer();
    const seq = this.armSeq;
    let delay = this.maxSleepMs;
    if (this.failures > 0) {
      delay = Math.min(this.maxSleepMs * 5, 50 * 2 ** Math.min(this.failures, 10));
    } else {
      try {
        const wake = await this.store.nextWakeAt();
        if (wake !== null)
          delay = Math.min(this.maxSleepMs, Math.max(0, wake - this.lookaheadMs() - this.now()));
      } catch (error) {
        this.events.emit('error', { error, during: 'sleep' });
      }
    }
    if (seq !== this.armSeq || this.state !== 'running') return; // woken meanwhile
    // Nothing was claimable yet something is "due": our skew estimate is off by a hair; don't spin.
    if (delay === 0 && this.lastClaimEmpty) delay = 1;
    this.target = this.clock.now() + delay;
    this.timer = this.clock.setTimeout(() => this.onTimer(seq), delay);
  }

  private onTimer(seq: number): void {
    if (seq !== this.armSeq) return;
    this.timer = undefined;
    const early = this.target - this.clock.now();
    if (early > 0) {
      // Timers may fire a little early; firing now would claim nothing and re-arm from the wrong slot.
      this.timer = this.clock.setTimeout(() => this.onTimer(seq), early);
      return;
    }
    void this.tick();
  }

  private lookaheadMs(): number {
    return Math.min(this.maxLookaheadMs, Math.max(MIN_LOOKAHEAD_MS, Math.ceil(2 * this.bookkeepingMs)));
  }

  private async processClaims(batch: ClaimBatch, horizon: number): Promise<number> {
    if (batch.claims.length === 0) return 0;
    const now = batch.now;
    const rows: Execution[] = [];
    const candidates: { job: Job; fire: PlannedFire }[] = [];
    const commits: CommitRequest[] = [];
    for (const { job, token } of batch.claims) {
      const plan = planFires(job, now, horizon);
      if (plan.truncated)
        this.logger.warn('backlog too long, skipped ahead', { jobId: job.id, next: plan.nextRunTime });
      for (const fire of plan.fires) {
        if (fire.decision === 'missed')
          rows.push(this.newExecution(job, fire.scheduledFor, 'scheduled', 1, 'missed'));
        else candidates.push({ job, fire });
      }
      commits.push({
        jobId: job.id,
        token,
        claimedNextRunTime: job.nextRunTime,
        nextRunTime: plan.nextRunTime,
        dueAt: plan.dueAt,
      });
    }
    const runs: { job: Job; execution: Execution; slot: Slot; startAt: number }[] = [];
    const deferred: { job: Job; fire: PlannedFire }[] = [];
    let inserted: Set<string>;
    try {
      const executions = candidates.map(({ job, fire }) =>
        this.newExecution(job, fire.scheduledFor, 'scheduled', 1, 'running', Math.max(now, fire.dueAt)),
      );
      const acquired = await this.store.acquireSlots(
        candidates.map(({ job }, i) => ({
          slot: slotOf(job, executions[i] as Execution),
          maxInstances: job.maxInstances,
        })),
        this.slotLeaseMs,
      );
      candidates.forEach(({ job, fire }, i) => {
        const execution = executions[i] as Execution;
        if (acquired[i]) {
          rows.push(execution);
          runs.push({ job, execution, slot: slotOf(job, execution), startAt: fire.dueAt });
        } else if (fire.dueAt <= now) {
          rows.push({ ...execution, status: 'skipped', startedAt: null, finishedAt: now });
        } else {
          // The slot may free up before the fire is due: decide when it is.
          deferred.push({ job, fire });
        }
      });
      inserted = await this.log.insert(rows);
    } catch (error) {
      // Nothing was recorded: hand the fires back unchanged so the next round retries them.
      await Promise.all(runs.map((run) => this.releaseSlot(run.slot)));
      await this.store
        .commit(batch.claims.map(({ job, token }) => this.releaseRequest(job, token)))
        .catch((releaseError: unknown) =>
          this.events.emit('error', { error: releaseError, during: 'release' }),
        );
      throw error;
    }
    const outcomes = await this.store.commit(commits);
    outcomes.forEach((outcome, i) => {
      const request = commits[i] as CommitRequest;
      if (outcome !== 'committed') this.events.emit('commit', { jobId: request.jobId, outcome });
      const claim = batch.claims[i];
      if (outcome === 'committed' && request.nextRunTime === null && claim) {
        const job = { ...claim.job, nextRunTime: null, dueAt: null };
        this.publish({ stream: 'job', type: 'finished', at: now, jobId: request.jobId, job });
      }
    });
    for (const row of rows) {
      if (!inserted.has(row.id)) {
        this.events.emit('duplicate', {
          jobId: row.jobId,
          scheduledFor: row.scheduledFor,
          attempt: row.attempt,
        });
      } else if (row.status !== 'running') {
        this.publishExecution(row.status === 'missed' ? 'missed' : 'skipped', row);
      }
    }
    let started = 0;
    for (const run of runs) {
      if (!inserted.has(run.execution.id)) {
        void this.releaseSlot(run.slot);
      } else {
        this.startRun(run.job, run.execution, run.slot, run.startAt);
        started++;
      }
    }
    for (const { job, fire } of deferred) this.defer(job, fire);
    return started;
  }

  private defer(job: Job, fire: PlannedFire): void {
    const entry: DeferredFire = {
      job,
      scheduledFor: fire.scheduledFor,
      cancel: this.at(fire.dueAt, () => {
        this.deferred.delete(entry);
        void this.runExtra(job, fire.scheduledFor, 'scheduled', 1).catch((error: unknown) =>
          this.events.emit('error', { error, during: 'deferred fire' }),
        );
      }),
    };
    this.deferred.add(entry);
  }

  /** On stop, deferred fires will not get their second chance: record them skipped. */
  private async dropDeferred(): Promise<void> {
    if (this.deferred.size === 0) return;
    const rows = [...this.deferred].map(({ job, scheduledFor, cancel }) => {
      cancel();
      const row = this.newExecution(job, scheduledFor, 'scheduled', 1, 'skipped');
      row.error = {
        message: 'maxInstances were busy and the scheduler stopped before the fire was due',
        stack: null,
      };
      return row;
    });
    this.deferred.clear();
    try {
      const inserted = await this.log.insert(rows);
      for (const row of rows) if (inserted.has(row.id)) this.publishExecution('skipped', row);
    } catch (error) {
      this.events.emit('error', { error, during: 'stop' });
    }
  }

  /** Run `fn` when the store clock reaches `storeTime`; a timer that wakes early re-arms for the rest. */
  private at(storeTime: number, fn: () => void): Cancel {
    let handle: TimerHandle | undefined;
    let cancelled = false;
    const check = () => {
      if (cancelled) return;
      const remaining = storeTime - this.now();
      if (remaining > 0) handle = this.clock.setTimeout(check, remaining);
      else fn();
    };
    check();
    return () => {
      cancelled = true;
      if (handle !== undefined) this.clock.clearTimeout(handle);
    };
  }

  private releaseRequest(job: Job, token: string): CommitRequest {
    return {
      jobId: job.id,
      token,
      claimedNextRunTime: job.nextRunTime,
      nextRunTime: job.nextRunTime,
      dueAt: job.dueAt,
    };
  }

  /** Takes a maxInstances slot for the run, or turns its row into `skipped`. */
  private async takeSlot(run: { job: Job; execution: Execution; slot: Slot | null }): Promise<void> {
    const slot = { jobId: run.job.id, executionId: run.execution.id };
    if (await this.store.acquireSlot(slot, run.job.maxInstances, this.slotLeaseMs)) {
      run.slot = slot;
    } else {
      Object.assign(run.execution, { status: 'skipped', startedAt: null });
    }
  }

  newExecution(
    job: Job,
    scheduledFor: number,
    triggerKind: TriggerKind,
    attempt: number,
    status: 'running' | 'missed' | 'skipped',
    startedAt = this.now(),
  ): Execution {
    const now = this.now();
    return {
      id: uuidv7(now),
      jobId: job.id,
      jobName: job.name,
      task: job.task,
      status,
      triggerKind,
      scheduledFor,
      startedAt: status === 'running' ? startedAt : null,
      finishedAt: status === 'running' ? null : now,
      durationMs: null,
      attempt,
      instance: this.instance,
      error: null,
      result: null,
    };
  }

  /**
   * Runs a fire outside the schedule (runJobNow) or a retry. Returns the recorded row: `running`, or
   * `skipped` when maxInstances are all busy.
   */
  async runExtra(
    job: Job,
    scheduledFor: number,
    triggerKind: TriggerKind,
    attempt: number,
  ): Promise<Execution | null> {
    const execution = this.newExecution(job, scheduledFor, triggerKind, attempt, 'running');
    const run = { job, execution, slot: null as Slot | null };
    await this.takeSlot(run);
    let inserted: Set<string>;
    try {
      inserted = await this.log.insert([execution]);
    } catch (error) {
      if (run.slot) await this.releaseSlot(run.slot);
      throw error;
    }
    if (!inserted.has(execution.id)) {
      if (run.slot) await this.releaseSlot(run.slot);
      this.events.emit('duplicate', { jobId: job.id, scheduledFor, attempt });
      return null;
    }
    if (run.slot) this.startRun(job, execution, run.slot, execution.scheduledFor);
    else this.publishExecution('skipped', execution);
    return execution;
  }

  /** Registers the run now (it holds its slot) and starts the handler at `startAt` (store time). */
  private startRun(job: Job, execution: Execution, slot: Slot, startAt: number): void {
    let settle: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const run: ActiveRun = {
      job,
      execution,
      slot,
      controller: new AbortController(),
      done,
      settle,
      abandoned: false,
      startTimer: null,
    };
    this.active.set(execution.id, run);
    if (startAt <= this.now()) {
      this.begin(run)?.();
      return;
    }
    // One timer per due instant: the handlers of that instant start back to back in one callback,
    // before any of their follow-up work (which runs as microtasks after it) gets in the way.
    let group = this.startGroups.get(startAt);
    if (!group) {
      const runs = new Set<ActiveRun>();
      group = {
        runs,
        cancel: this.at(startAt, () => {
          this.startGroups.delete(startAt);
          const followUps: (() => void)[] = [];
          for (const each of runs) {
            each.startTimer = null;
            const followUp = this.begin(each);
            if (followUp) followUps.push(followUp);
          }
          for (const followUp of followUps) followUp();
        }),
      };
      this.startGroups.set(startAt, group);
    }
    const { runs } = group;
    runs.add(run);
    run.startTimer = () => runs.delete(run);
  }

  /** Calls the handler; returns the follow-up (event, finish) to run once the instant's handlers all started. */
  private begin(run: ActiveRun): (() => void) | undefined {
    if (run.abandoned) return undefined;
    const { job, execution } = run;
    execution.startedAt = this.now();
    const task = this.tasks.get(job.task);
    const outcome: Promise<RunOutcome> = task
      ? runHandler({
          handler: task.handler,
          args: job.args,
          context: {
            logger: this.logger,
            executionId: execution.id,
            jobId: job.id,
            scheduledFor: execution.scheduledFor,
            attempt: execution.attempt,
          },
          timeoutMs: job.timeoutMs,
          clock: this.clock,
          controller: run.controller,
        })
      : Promise.resolve({
          status: 'failed',
          error: {
            message: `task "${job.task}" is not registered on instance ${this.instance}`,
            stack: null,
          },
          result: null,
        });
    return () => {
      this.publishExecution('started', execution);
      void outcome.then((result) => this.finishRun(run, result)).finally(run.settle);
    };
  }

  private async finishRun(run: ActiveRun, outcome: RunOutcome): Promise<void> {
    if (run.abandoned) return;
    this.active.delete(run.execution.id);
    // The handler is done, so the instance is free now: not once the history write lands.
    const released = this.releaseSlot(run.slot);
    const finished = this.finalize(run.execution, outcome.status, outcome);
    try {
      await this.finishes.push(this.toFinish(finished));
    } catch (error) {
      this.events.emit('error', { error, during: 'finish' });
    }
    this.publishExecution(outcome.status === 'success' ? 'succeeded' : outcome.status, finished);
    await released;
    if (outcome.status !== 'success' && run.execution.attempt < run.job.retry.attempts)
      this.scheduleRetry(run);
  }

  private scheduleRetry(run: ActiveRun): void {
    if (this.state !== 'running') return;
    const delay = retryDelay(run.job.retry, run.execution.attempt, this.random);
    const handle = this.clock.setTimeout(() => {
      this.retries.delete(handle);
      void this.retry(run).catch((error: unknown) => this.events.emit('error', { error, during: 'retry' }));
    }, delay);
    this.retries.add(handle);
  }

  private async retry(previous: ActiveRun): Promise<void> {
    if (this.state !== 'running') return;
    // A job removed during the backoff is not retried; a changed one retries with its new definition.
    const job = await this.store.get(previous.job.id);
    if (!job) return;
    await this.runExtra(job, previous.execution.scheduledFor, 'retry', previous.execution.attempt + 1);
  }

  private abandon(run: ActiveRun, reason: string): void {
    run.abandoned = true;
    run.startTimer?.();
    run.settle();
    this.active.delete(run.execution.id);
    run.controller.abort(new Error(reason));
    const finished = this.finalize(run.execution, 'abandoned', {
      error: { message: reason, stack: null },
      result: null,
    });
    void this.finishes
      .push(this.toFinish(finished))
      .catch((error: unknown) => this.events.emit('error', { error, during: 'abandon' }));
    this.publishExecution('abandoned', finished);
    void this.releaseSlot(run.slot);
  }

  private finalize(
    execution: Execution,
    status: FinalStatus,
    outcome: Pick<RunOutcome, 'error' | 'result'>,
  ): Execution {
    const finishedAt = this.now();
    return {
      ...execution,
      status,
      finishedAt,
      durationMs: execution.startedAt === null ? null : Math.max(0, finishedAt - execution.startedAt),
      error: outcome.error,
      result: outcome.result,
    };
  }

  private toFinish(execution: Execution): ExecutionFinish {
    return {
      id: execution.id,
      status: execution.status as FinalStatus,
      finishedAt: execution.finishedAt ?? this.now(),
      durationMs: execution.durationMs,
      error: execution.error,
      result: execution.result,
    };
  }

  private publishExecution(type: ExecutionEventType, execution: Execution): void {
    this.publish({ stream: 'execution', type, at: this.now(), execution });
  }

  private async releaseSlot(slot: Slot): Promise<void> {
    try {
      await this.store.releaseSlot(slot);
    } catch (error) {
      // The lease runs out on its own; the slot comes back then.
      this.events.emit('error', { error, during: 'release slot' });
    }
  }

  private async waitForActive(deadlineMs: number): Promise<void> {
    if (this.active.size === 0 || deadlineMs <= 0) return;
    let timer: TimerHandle | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.all([...this.active.values()].map((run) => run.done)), deadline]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
  }

  /** Heartbeat for held slots, and reaping of slots whose holder died (their rows become `abandoned`). */
  private scheduleHousekeeping(): void {
    const every = Math.min(Math.floor(this.slotLeaseMs / 3), this.reapIntervalMs);
    this.housekeeping = this.clock.setTimeout(() => {
      void this.housekeep().finally(() => {
        if (this.state === 'running' || this.state === 'stopping') this.scheduleHousekeeping();
      });
    }, every);
  }

  private async housekeep(): Promise<void> {
    await this.syncClock(1);
    try {
      const held = [...this.active.values()].map((run) => run.slot);
      if (held.length > 0) await this.store.renewSlots(held, this.slotLeaseMs);
      if (this.state !== 'running' || this.clock.now() - this.lastReap < this.reapIntervalMs) return;
      this.lastReap = this.clock.now();
      const expired = (await this.store.reapExpiredSlots(500)).filter(
        (slot) => !this.active.has(slot.executionId),
      );
      if (expired.length === 0) return;
      const ids = expired.map((slot) => slot.executionId);
      await this.log.abandon(ids, this.now());
      for (const id of ids) {
        const execution = await this.log.get(id);
        if (execution?.status === 'abandoned') this.publishExecution('abandoned', execution);
      }
    } catch (error) {
      this.events.emit('error', { error, during: 'housekeeping' });
    }
  }
}

function slotOf(job: Job, execution: Execution): Slot {
  return { jobId: job.id, executionId: execution.id };
}
