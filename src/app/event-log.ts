/** The scheduler's events as log lines: failures at warn, data loss at error, the rest at info/debug. */
import { StoreResetError } from '../adapters/redis/errors.ts';
import type { Scheduler } from '../core/scheduler/scheduler.ts';
import type { JsonLogger } from '../logger.ts';

export function logSchedulerEvents(scheduler: Scheduler, logger: JsonLogger): void {
  scheduler.events.on('error', ({ error, during }) => {
    if (error instanceof StoreResetError) {
      // Redis came back empty or was flushed (issue 9): every stored job is gone.
      logger.error(`DATA LOSS: ${error.message}; jobs not declared again must be added again`, {
        during,
        error,
      });
      return;
    }
    logger.warn(`scheduler: ${during} failed`, { error });
  });
  scheduler.events.on('listenerError', ({ error, event }) =>
    logger.warn('scheduler listener failed', { event, error }),
  );
  scheduler.events.on('started', ({ instance }) => logger.info('scheduler started', { instance }));
  scheduler.events.on('stopped', ({ abandoned }) => logger.info('scheduler stopped', { abandoned }));
  scheduler.events.on('execution', ({ type, execution }) => {
    const fields = { jobId: execution.jobId, executionId: execution.id, status: execution.status };
    if (type === 'failed' || type === 'timed_out' || type === 'abandoned' || type === 'missed') {
      logger.warn(`execution ${type}`, { ...fields, error: execution.error?.message });
    } else {
      logger.debug(`execution ${type}`, fields);
    }
  });
}
