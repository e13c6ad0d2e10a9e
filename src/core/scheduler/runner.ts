import type { SchedulerEvents } from '../events.ts';
import type { Execution } from '../execution.ts';
import type { RunOutcome } from '../executor.ts';
import { runHandler } from '../executor.ts';
import type { Job } from '../job.ts';
import type { ExecutionEventType, JobStore, Slot } from '../ports.ts';
import type { Logger, TaskResolver } from '../task.ts';
import { DueStarts } from './due-starts.ts';
import type { HerdHold } from './herd-hold.ts';
import type { Outbox } from './outbox.ts';
import { CANCELLED_MESSAGE } from './overlap.ts';
import { holdsSlot, newRun, notRegistered, type Run, waitsForSlot } from './run.ts';
import { abandonedResult, notRunResult, resultOf } from './run-results.ts';
import { SlotAhead } from './slot-ahead.ts';
import { SlotReturns } from './slot-returns.ts';
import type { StoreClock } from './store-clock.ts';

export interface RunnerOptions {
  store: JobStore;
  clock: StoreClock;
  tasks: TaskResolver;
  logger: Logger;
  instance: string;
  /** The replica life the slots are taken under (see Liveness). */
  owner: () => string | undefined;
  /** Heart-beat now: revives the life, or starts a new one when the cluster reaped it. */
  rejoin: () => Promise<void>;
  slotLeaseMs: number;
  outbox: Outbox;
  /** Holds slot returns while a herd is in flight. */
  hold?: HerdHold;
  events: SchedulerEvents;
  random: () => number;
  publish: (type: ExecutionEventType, execution: Execution) => void;
  /** A run's final attempt failed (no retry follows): pauseAfterFailures looks at the streak. */
  onFailedRun?: (job: Job, row: Execution) => void;
}

/** A retry whose slot is busy waits this long before trying again (it never turns into SKIPPED). */
const RETRY_SLOT_POLL_MS = 500;
const SLOT_ERROR_LIMIT = 5;

export class Runner {
  private readonly o: RunnerOptions;
  private readonly runs = new Map<string, Run>();
  private readonly returns: SlotReturns;
  /** Job id -> its runs waiting for their start here. */
  private readonly waiting = new Map<string, Set<Run>>();
  private readonly ahead: SlotAhead;
  private readonly starts: DueStarts;
  private handlersInFlight = 0;

  constructor(options: RunnerOptions) {
    this.o = options;
    this.ahead = new SlotAhead({
      store: options.store,
      slotLeaseMs: options.slotLeaseMs,
      owner: options.owner,
      events: options.events,
      release: (slot) => this.release(slot),
    });
    this.returns = new SlotReturns({
      store: options.store,
      events: options.events,
      hold: options.hold,
      wake: (run) => {
        // Only a run still in its poll's timer group moves; one asking right now has no cancelStart.
        if (run.phase !== 'waiting' || run.cancelStart === null) return;
        run.cancelStart();
        this.starts.enqueue(run, this.o.clock.now());
      },
    });
    this.starts = new DueStarts({
      store: options.store,
      clock: options.clock,
      owner: options.owner,
      rejoin: options.rejoin,
      events: options.events,
      slotLeaseMs: options.slotLeaseMs,
      runs: {
        begin: (run) => this.begin(run),
        notRun: (run, status, message) => this.notRun(run, status, message),
        waitForSlot: (run) => this.waitForSlot(run),
        slotUnavailable: (run, error) => this.slotUnavailable(run, error),
        end: (run) => this.end(run),
        cancel: (executionIds) => this.cancel(executionIds),
        release: (slot) => this.release(slot),
        releaseHeld: () => (this.returns.holding ? this.returns.releaseHeld() : null),
      },
    });
  }

  get size(): number {
    return this.runs.size;
  }

  /** Handlers started and not ended. */
  get inFlight(): number {
    return this.handlersInFlight;
  }

  has(executionId: string): boolean {
    return this.runs.has(executionId);
  }

  /** Slots held by started runs and by runs that took theirs ahead (renewed by the slot keeper). */
  heldSlots(): Slot[] {
    const slots: Slot[] = [];
    for (const run of this.runs.values()) if (run.phase === 'running' || run.held) slots.push(run.slot);
    return slots;
  }

  /**
   * Runs start at their row's dueAt (store time). Rows must be stored already. The plain scheduled
   * fires among them take their slots now, in one request, when no earlier fire of their job waits
   * here (that one must ask first, or it would be SKIPPED behind a later fire).
   */
  schedule(items: { job: Job; execution: Execution }[]): void {
    const now = this.o.clock.now();
    const runs: Run[] = [];
    for (const { job, execution } of items) {
      const run = this.register(job, execution);
      this.starts.enqueue(run, execution.dueAt ?? now);
      runs.push(run);
    }
    // Slots held back for a herd go first (the same connection keeps the order): a fire must not
    // find its job's slot busy with a run that ended here already.
    if (this.returns.holding) void this.returns.releaseHeld();
    this.ahead.take(
      runs.filter((run) => this.waiting.get(run.job.id)?.size === 1 && SlotAhead.eligible(run, now)),
    );
  }

  /**
   * The job was paused, removed or rescheduled here, or is run manually: its fires claimed already
   * go on as before (a change within the lookahead may still run one), but the slots they took
   * ahead go back, and they ask for them again when due.
   */
  async giveSlotsBack(jobId: string): Promise<void> {
    // Slots of the job's runs that just ended go back now rather than at the end of this turn.
    await Promise.all([
      this.returns.ofJob(jobId),
      ...[...(this.waiting.get(jobId) ?? [])].map((run) => this.ahead.giveBack(run)),
    ]);
  }

  /** A manual run whose slot is already held and whose row is stored: start it now. */
  startHeld(job: Job, execution: Execution): void {
    const run = this.register(job, execution);
    this.begin(run)();
  }

  /** Resolves when every started run ended or `deadlineMs` passed. */
  async waitRunning(deadlineMs: number): Promise<void> {
    const pending = [...this.runs.values()].filter((run) => run.phase === 'running');
    if (pending.length === 0 || deadlineMs <= 0) return;
    const sleep = this.o.clock.sleep(deadlineMs);
    await Promise.race([Promise.all(pending.map((run) => run.done)), sleep.done]);
    sleep.cancel();
  }

  /** Resolves when no run waits for its due time or slot (retries and backfill fires waiting for a slot excepted), or after `deadlineMs`. */
  async waitStarted(deadlineMs: number): Promise<void> {
    const deadline = this.o.clock.local.now() + deadlineMs;
    const waiting = () =>
      [...this.runs.values()].some(
        (run) => run.phase === 'waiting' && !run.queued && !waitsForSlot(run.execution),
      );
    while (waiting() && this.o.clock.local.now() < deadline) {
      const sleep = this.o.clock.sleep(Math.min(10, deadline - this.o.clock.local.now()));
      await sleep.done;
    }
  }

  /**
   * This replica's life was declared dead: runs not started are dropped without a record (the
   * cluster gave their rows to a live replica). Returns how many runs are in flight; they go on, and
   * their results are written only where the cluster has not settled their rows.
   */
  dropWaiting(): number {
    let inFlight = 0;
    for (const run of [...this.runs.values()]) {
      if (run.phase === 'running') inFlight++;
      else {
        run.cancelStart?.();
        this.end(run);
      }
    }
    return inFlight;
  }

  /** Abort every run left and record it abandoned (graceful stop past its deadline). */
  abandonAll(reason: string): number {
    const left = [...this.runs.values()];
    for (const run of left) this.abandon(run, reason);
    return left.length;
  }

  private register(job: Job, execution: Execution): Run {
    const run = newRun(job, execution);
    this.runs.set(execution.id, run);
    const waiting = this.waiting.get(job.id) ?? new Set<Run>();
    this.waiting.set(job.id, waiting);
    waiting.add(run);
    return run;
  }

  /** Asks again when a run of the job here gives its slot back (SlotReturns), or at the next poll. */
  private waitForSlot(run: Run): void {
    this.starts.enqueue(run, this.o.clock.now() + RETRY_SLOT_POLL_MS);
    this.returns.waitFor(run);
  }

  /** The run no longer waits for its start (it starts, or it ends unstarted). */
  private started(run: Run): void {
    this.returns.forget(run);
    const waiting = this.waiting.get(run.job.id);
    if (!waiting?.delete(run) || waiting.size > 0) return;
    this.waiting.delete(run.job.id);
  }

  /** Slots a cancel_other fire marked (seen at renewal, or by the replica that marked them). */
  cancelMarked(slots: Slot[]): void {
    this.cancel(slots.map((slot) => slot.executionId));
  }

  private cancel(executionIds: string[]): void {
    for (const id of executionIds) {
      const run = this.runs.get(id);
      if (run?.phase !== 'running' || run.cancelled) continue;
      run.cancelled = true;
      // The slot stays held until the handler returns: a handler that ignores its signal still runs.
      run.controller.abort(new Error(CANCELLED_MESSAGE));
    }
  }

  private slotUnavailable(run: Run, error: unknown): void {
    if (run.phase !== 'waiting') return;
    run.slotErrors++;
    if (run.slotErrors < SLOT_ERROR_LIMIT) {
      this.starts.enqueue(run, this.o.clock.now() + 100 * 2 ** run.slotErrors);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.notRun(run, 'skipped', `could not take a maxInstances slot: the job store failed (${message})`);
  }

  /** Calls the handler now; returns the follow-up (event, result wiring) to run after the instant's starts. */
  private begin(run: Run): () => void {
    this.started(run);
    run.phase = 'running';
    this.handlersInFlight++;
    run.held = false;
    const { job, execution } = run;
    execution.startedAt = this.o.clock.now();
    const task = this.o.tasks.get(job.task);
    const outcome: Promise<RunOutcome> = task
      ? runHandler({
          handler: task.handler,
          args: job.args,
          context: {
            logger: this.o.logger,
            executionId: execution.id,
            jobId: job.id,
            scheduledFor: execution.scheduledFor,
            attempt: execution.attempt,
          },
          timeoutMs: job.timeoutMs,
          clock: this.o.clock.local,
          controller: run.controller,
        })
      : Promise.resolve(notRegistered(job, this.o.instance));
    return () => {
      this.o.publish('started', execution);
      void outcome.then((result) => this.finish(run, result));
    };
  }

  private finish(run: Run, outcome: RunOutcome): void {
    if (run.phase === 'ended') return;
    this.end(run);
    const item = resultOf(run, outcome, this.o.clock.now(), this.o);
    this.releaseSoon(run.slot);
    this.o.outbox.push(item);
    const { row, retry } = item;
    if (retry === null && (row.status === 'failed' || row.status === 'timed_out'))
      this.o.onFailedRun?.(run.job, row);
  }

  private notRun(run: Run, status: 'skipped' | 'missed', message: string): void {
    if (holdsSlot(run)) this.releaseSoon(run.slot);
    this.end(run);
    this.o.outbox.push(notRunResult(run.execution, status, message, this.o.clock.now()));
  }

  private abandon(run: Run, reason: string): void {
    const held = holdsSlot(run);
    run.cancelStart?.();
    this.end(run);
    run.controller.abort(new Error(reason));
    if (held) this.releaseSoon(run.slot);
    this.o.outbox.push(abandonedResult(run.execution, reason, this.o.clock.now()));
  }

  private end(run: Run): void {
    this.started(run);
    if (run.phase === 'running') this.handlersInFlight--;
    run.phase = 'ended';
    run.cancelStart = null;
    this.runs.delete(run.execution.id);
    run.settle();
  }

  private releaseSoon(slot: Slot): void {
    this.returns.soon(slot);
  }

  release(...slots: Slot[]): Promise<void> {
    return this.returns.now(...slots);
  }
}
