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
  const due = foldWindows(now);
  scheduler.events.on('error', ({ error, during }) => {
    if (error instanceof StoreResetError) {
      // Redis came back empty or was flushed (issue 9): every stored job is gone.
      logger.error(`DATA LOSS: ${error.message}; jobs not declared again must be added again`, {
        during,
        error,
      });
      return;
    }
    const folded = due(`error\u0000${during}\u0000${error instanceof Error ? error.message : String(error)}`);
    if (folded === null) return;
    logger.warn(
      `scheduler: ${during} failed`,
      folded > 0 ? { error, repeatedSinceLastLine: folded } : { error },
    );
  });
  // Runs starting late mean this replica is saturated: one line per window, with what it folded.
  let worstMs = 0;
  scheduler.events.on('lateStart', ({ lateMs, thresholdMs }) => {
    const folded = due('lateStart');
    if (folded === null) {
      worstMs = Math.max(worstMs, lateMs);
      return;
    }
    const before = folded > 0 ? { lateSinceLastLine: folded, worstMsSinceLastLine: worstMs } : {};
    logger.warn('runs start late: this replica cannot keep up; add a replica or lighten its jobs', {
      lateMs,
      thresholdMs,
      ...before,
    });
    worstMs = lateMs;
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

/**
 * Per key, one line per REPEAT_WINDOW_MS: `due(key)` is null inside a window (the event is
 * folded), else how many were folded since the key's last line.
 */
function foldWindows(now: () => number): (key: string) => number | null {
  const windows = new Map<string, { at: number; folded: number }>();
  return (key) => {
    const at = now();
    const open = windows.get(key);
    if (open && at - open.at < REPEAT_WINDOW_MS) {
      open.folded++;
      return null;
    }
    if (windows.size > 1_000) windows.clear();
    windows.set(key, { at, folded: 0 });
    return open?.folded ?? 0;
  };
}
