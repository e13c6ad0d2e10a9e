/**
 * KAIROS_RETENTION_DAYS: finished executions older than that are deleted a minute after start,
 * then hourly, and the audit trail of job changes with them (it is kept as long as the history).
 * A failed round is logged and the next one tries again.
 */
import type { Clock } from '../core/clock.ts';
import type { AuditLog, ExecutionLog } from '../core/ports.ts';
import type { JsonLogger } from '../logger.ts';

const RETENTION_EVERY_MS = 60 * 60 * 1000;
const RETENTION_FIRST_MS = 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionOptions {
  /** null: keep forever (nothing is scheduled). */
  days: number | null;
  log: Pick<ExecutionLog, 'deleteFinishedBefore'>;
  audit?: Pick<AuditLog, 'deleteBefore'>;
  clock: Clock;
  /** The scheduler's clock (the store's time), which `before` is counted from. */
  now: () => number;
  logger: JsonLogger;
}

export function createRetention({ days, log, audit, clock, now, logger }: RetentionOptions) {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let active = false;

  const schedule = (delay: number, keep: number): void => {
    timer = clock.setTimeout(() => {
      const before = now() - keep * DAY_MS;
      void log
        .deleteFinishedBefore(before)
        .then((deleted) => {
          if (deleted > 0)
            logger.info('old executions deleted', { deleted, before: new Date(before).toISOString() });
          return audit?.deleteBefore(before);
        })
        .then((changes) => {
          if (changes)
            logger.info('old job changes deleted', {
              deleted: changes,
              before: new Date(before).toISOString(),
            });
        })
        .catch((error: unknown) => logger.warn('deleting old executions failed', { error }))
        .finally(() => {
          if (active) schedule(RETENTION_EVERY_MS, keep);
        });
    }, delay);
  };

  return {
    start(): void {
      if (days === null) return;
      active = true;
      schedule(RETENTION_FIRST_MS, days);
    },
    stop(): void {
      active = false;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}
