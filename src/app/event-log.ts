/**
 * The scheduler's events as log lines: a finished run at info, a failed one at warn (with its error),
 * data loss at error, the rest at info/debug.
 */
import { StoreResetError } from '../adapters/redis/errors.ts';
import { latenessMs } from '../core/execution.ts';
import type { Scheduler } from '../core/scheduler/scheduler.ts';
import type { JsonLogger } from '../logger.ts';

/** The same failure (same step, same message) is logged once per this window, with a count. */
const REPEAT_WINDOW_MS = 10_000;

export function logSchedulerEvents(scheduler: Scheduler, logger: JsonLogger, now = () => Date.now()): void {
  // A store that is away fails every round (several a second): one line per step and cause per
  // window, saying how many were folded into it, instead of a stack trace per round.
  const repeats = new Map<string, { at: number; folded: number }>();
  scheduler.events.on('error', ({ error, during }) => {
    if (error instanceof StoreResetError) {
      // Redis came back empty or was flushed (issue 9): every stored job is gone.
      logger.error(`DATA LOSS: ${error.message}; jobs not declared again must be added again`, {
        during,
        error,
      });
      return;
    }
    const key = `${during}\u0000${error instanceof Error ? error.message : String(error)}`;
    const seen = repeats.get(key);
    const at = now();
    if (seen && at - seen.at < REPEAT_WINDOW_MS) {
      seen.folded++;
      return;
    }
    repeats.set(key, { at, folded: 0 });
    if (repeats.size > 1_000) repeats.clear();
    const folded = seen?.folded ?? 0;
    logger.warn(
      `scheduler: ${during} failed`,
      folded > 0 ? { error, repeatedSinceLastLine: folded } : { error },
    );
  });
  // Runs starting late mean this replica is saturated: one line per window, with what it folded.
  let late: { since: number; folded: number; worstMs: number } | null = null;
  scheduler.events.on('lateStart', ({ lateMs, thresholdMs }) => {
    const at = now();
    if (late && at - late.since < REPEAT_WINDOW_MS) {
      late.folded++;
      late.worstMs = Math.max(late.worstMs, lateMs);
      return;
    }
    const before =
      late && late.folded > 0 ? { lateSinceLastLine: late.folded, worstMsSinceLastLine: late.worstMs } : {};
    logger.warn('runs start late: this replica cannot keep up; add a replica or lighten its jobs', {
      lateMs,
      thresholdMs,
      ...before,
    });
    late = { since: at, folded: 0, worstMs: lateMs };
  });
  scheduler.events.on('listenerError', ({ error, event }) =>
    logger.warn('scheduler listener failed', { event, error }),
  );
  scheduler.events.on('started', ({ instance }) => logger.info('scheduler started', { instance }));
  scheduler.events.on('stopped', ({ abandoned }) => logger.info('scheduler stopped', { abandoned }));
  scheduler.events.on('execution', ({ type, execution }) => {
    if (type === 'scheduled' || type === 'started') {
      logger.debug(`execution ${type}`, { jobId: execution.jobId, executionId: execution.id });
      return;
    }
    // One line per finished run, with what a reader needs to judge it without querying the history.
    const fields = {
      jobId: execution.jobId,
      executionId: execution.id,
      status: execution.status,
      scheduledFor: new Date(execution.scheduledFor).toISOString(),
      attempt: execution.attempt,
      latenessMs: latenessMs(execution),
      durationMs: execution.durationMs,
    };
    if (type === 'succeeded' || type === 'skipped') logger.info(`execution ${type}`, fields);
    else logger.warn(`execution ${type}`, { ...fields, error: execution.error?.message });
  });
}
