/** One registered run of the runner (runner.ts) and what it needs to know about it. */
import type { Execution } from '../execution.ts';
import type { RunOutcome } from '../executor.ts';
import type { Job } from '../job.ts';
import type { Slot } from '../ports.ts';
import type { Cancel } from './store-clock.ts';

export interface Run {
  job: Job;
  execution: Execution;
  slot: Slot;
  controller: AbortController;
  phase: 'waiting' | 'running' | 'ended';
  cancelStart: Cancel | null;
  /** Failed slot acquisitions in a row (the store was unavailable). */
  slotErrors: number;
  /** It holds a place in the job's wait queue (overlap policies): given back if it ends unstarted. */
  queued: boolean;
  /** It took its slot before its due time (slot-ahead.ts): it starts without asking, or gives it back. */
  held: boolean;
  /** The slot request made ahead of the due time, while it is out. */
  ahead: Promise<void> | null;
  /** A newer fire had it aborted (cancel_other): recorded CANCELLED whatever the handler returns. */
  cancelled: boolean;
  done: Promise<void>;
  settle: () => void;
}

export function newRun(job: Job, execution: Execution): Run {
  let settle: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  return {
    job,
    execution,
    slot: { jobId: job.id, executionId: execution.id },
    controller: new AbortController(),
    phase: 'waiting',
    cancelStart: null,
    slotErrors: 0,
    queued: false,
    held: false,
    ahead: null,
    cancelled: false,
    done,
    settle,
  };
}

/**
 * Retries, and backfill fires under buffer_all (the default; rows stored before the policy existed
 * too), wait for a busy slot: they are never SKIPPED for it.
 */
export function waitsForSlot(execution: Execution): boolean {
  if (execution.triggerKind === 'retry') return true;
  return execution.triggerKind === 'backfill' && (execution.overlap ?? 'buffer_all') === 'buffer_all';
}

/** Whether the run holds a slot (or a place in the job's queue) that it must give back. */
export function holdsSlot(run: Run): boolean {
  return run.phase === 'running' || run.queued || run.held;
}

export function notRegistered(job: Job, instance: string): RunOutcome {
  return {
    status: 'failed',
    error: { message: `task "${job.task}" is not registered on instance ${instance}`, stack: null },
    result: null,
    retryable: true,
  };
}
