/**
 * Pure builders of execution rows: what a fire, a covering record, a retry and a result look like
 * in the history. No clock is read here; every time is passed in.
 */
import type { Execution, ExecutionError, FinalStatus, TriggerKind } from '../execution.ts';
import type { CoveredRange } from '../fire-plan.ts';
import { uuidv7 } from '../ids.ts';
import type { Job } from '../job.ts';
import type { ExecutionFinish } from '../ports.ts';

export interface RowContext {
  instance: string;
  /** The replica life that will run the row (runRow); final and pending rows have none. */
  owner?: string | null;
  now: number;
  /** Reuse the id of an earlier attempt to write this row (a write whose reply was lost). */
  id?: string;
}

function base(job: Job, scheduledFor: number, triggerKind: TriggerKind, attempt: number, ctx: RowContext) {
  return {
    id: ctx.id ?? uuidv7(ctx.now),
    jobId: job.id,
    jobName: job.name,
    task: job.task,
    triggerKind,
    scheduledFor,
    attempt,
    instance: ctx.instance,
    owner: null as string | null,
    durationMs: null,
    result: null,
    coversUntil: null,
    coveredFires: 1,
  };
}

/** A fire this replica will run at `dueAt`: running, not started yet. */
export function runRow(
  job: Job,
  fire: { scheduledFor: number; dueAt: number },
  triggerKind: TriggerKind,
  attempt: number,
  ctx: RowContext,
): Execution {
  return {
    ...base(job, fire.scheduledFor, triggerKind, attempt, ctx),
    status: 'running',
    owner: ctx.owner ?? null,
    startedAt: null,
    finishedAt: null,
    dueAt: fire.dueAt,
    error: null,
  };
}

/** A fire decided not to run: missed (past its grace time) or skipped (maxInstances busy). */
export function notRunRow(
  job: Job,
  scheduledFor: number,
  status: 'missed' | 'skipped',
  message: string,
  triggerKind: TriggerKind,
  attempt: number,
  ctx: RowContext,
): Execution {
  return {
    ...base(job, scheduledFor, triggerKind, attempt, ctx),
    status,
    startedAt: null,
    finishedAt: ctx.now,
    dueAt: null,
    error: { message, stack: null },
  };
}

/** One missed record for a range of fires that did not run. */
export function coveringRow(job: Job, range: CoveredRange, runAt: number | null, ctx: RowContext): Execution {
  const message =
    range.reason === 'coalesced'
      ? `coalesced: ${range.count} overdue fire(s) collapsed into the one of ${iso(runAt)}`
      : `backlog: ${range.count} fire(s) past the per-claim cap did not run`;
  return {
    ...notRunRow(job, range.first, 'missed', message, 'scheduled', 1, ctx),
    coversUntil: range.count > 1 ? range.last : null,
    coveredFires: range.count,
  };
}

/** The next attempt of a failed fire, stored as pending until `dueAt`. */
export function retryRow(failed: Execution, dueAt: number, ctx: RowContext): Execution {
  // A retry waits for its slot (its own rule): a backfill's overlap policy stays with the backfill row.
  const { overlap: _backfillOverlap, ...fire } = failed;
  return {
    ...fire,
    id: ctx.id ?? uuidv7(ctx.now),
    status: 'pending',
    triggerKind: 'retry',
    attempt: failed.attempt + 1,
    instance: ctx.instance,
    owner: null,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    dueAt,
    error: null,
    result: null,
    coversUntil: null,
    coveredFires: 1,
  };
}

export function finishedRow(
  execution: Execution,
  status: FinalStatus,
  finishedAt: number,
  outcome: { error: ExecutionError | null; result: Execution['result'] },
): Execution {
  return {
    ...execution,
    status,
    finishedAt,
    durationMs: execution.startedAt === null ? null : Math.max(0, finishedAt - execution.startedAt),
    error: outcome.error,
    result: outcome.result,
  };
}

export function toFinish(execution: Execution): ExecutionFinish {
  return {
    id: execution.id,
    status: execution.status as FinalStatus,
    startedAt: execution.startedAt,
    finishedAt: execution.finishedAt ?? execution.startedAt ?? execution.scheduledFor,
    durationMs: execution.durationMs,
    error: execution.error,
    result: execution.result,
  };
}

function iso(ms: number | null): string {
  return ms === null ? 'none' : new Date(ms).toISOString();
}
