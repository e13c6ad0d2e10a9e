/** The rows a run ends with (runner.ts): its result and retry, or why it did not run. Pure. */
import type { Execution } from '../execution.ts';
import type { RunOutcome } from '../executor.ts';
import { retryDelay } from '../job-factory.ts';
import { finishedRow, retryRow } from './execution-rows.ts';
import type { OutboxItem } from './outbox.ts';
import { CANCELLED_MESSAGE } from './overlap.ts';
import type { Run } from './run.ts';

/** The result of a handler that ran (CANCELLED when a newer fire had it aborted), and its retry. */
export function resultOf(
  run: Run,
  outcome: RunOutcome,
  now: number,
  context: { instance: string; random: () => number },
): OutboxItem {
  const row = run.cancelled
    ? finishedRow(run.execution, 'cancelled', now, {
        error: { message: CANCELLED_MESSAGE, stack: null },
        result: null,
      })
    : finishedRow(run.execution, outcome.status, now, outcome);
  const policy = run.job.retry;
  const retry =
    !run.cancelled &&
    outcome.status !== 'success' &&
    outcome.retryable &&
    run.execution.attempt < policy.attempts
      ? retryRow(row, now + retryDelay(policy, run.execution.attempt, context.random), {
          instance: context.instance,
          now,
        })
      : null;
  return { row, retry };
}

/** A run that never started its handler: skipped or missed. */
export function notRunResult(
  execution: Execution,
  status: 'skipped' | 'missed',
  message: string,
  now: number,
): OutboxItem {
  const row = finishedRow(execution, status, now, { error: { message, stack: null }, result: null });
  return { row: { ...row, startedAt: null, durationMs: null }, retry: null };
}

/** A run cut short: abandoned with the reason. */
export function abandonedResult(execution: Execution, reason: string, now: number): OutboxItem {
  const row = finishedRow(execution, 'abandoned', now, {
    error: { message: reason, stack: null },
    result: null,
  });
  return { row, retry: null };
}
