/**
 * Runs one task handler under a timeout. The handler gets an AbortSignal; once the timeout passes the
 * outcome is `timed_out` and whatever the handler later returns is ignored.
 */
import type { Clock } from './clock.ts';
import type { ExecutionError } from './execution.ts';
import { boundResult, toExecutionError } from './execution.ts';
import type { JsonValue } from './json.ts';
import { type TaskContext, type TaskHandler, UnrecoverableError } from './task.ts';

export interface RunOutcome {
  status: 'success' | 'failed' | 'timed_out';
  error: ExecutionError | null;
  result: JsonValue | null;
  /** False when the task threw UnrecoverableError: no further attempt, whatever the retry policy. */
  retryable: boolean;
}

export interface RunOptions {
  handler: TaskHandler;
  args: JsonValue;
  context: Omit<TaskContext, 'signal'>;
  timeoutMs: number | null;
  clock: Clock;
  /** Aborting it aborts the handler's signal too (graceful stop past its deadline). */
  controller: AbortController;
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export function runHandler(options: RunOptions): Promise<RunOutcome> {
  const { handler, args, context, timeoutMs, clock, controller } = options;
  return new Promise<RunOutcome>((resolve) => {
    let settled = false;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const settle = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      resolve(outcome);
    };
    if (timeoutMs !== null) {
      timer = clock.setTimeout(() => {
        const error = new TimeoutError(timeoutMs);
        settle({ status: 'timed_out', error: toExecutionError(error), result: null, retryable: true });
        controller.abort(error);
      }, timeoutMs);
    }
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(handler(args, { ...context, signal: controller.signal }));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (result) =>
        settle({
          status: 'success',
          error: null,
          result: boundResult(result as JsonValue | undefined),
          retryable: false,
        }),
      (error: unknown) =>
        settle({
          status: 'failed',
          error: toExecutionError(error),
          result: null,
          // By name too: a task bundled with its own copy of the class still means it.
          retryable: !(
            error instanceof UnrecoverableError || (error as Error | null)?.name === 'UnrecoverableError'
          ),
        }),
    );
  });
}
