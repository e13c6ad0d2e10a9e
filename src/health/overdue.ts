/**
 * The dead-man's switch's alarm: every `intervalMs`, the jobs with expectSuccessWithinMs are checked,
 * and a job event `overdue` is published when one turns overdue (once per turn: it is published
 * again only after the job recovered). Only the oldest live replica checks, so a cluster publishes
 * each alarm once; a replica that takes the watch over publishes the alarms of jobs already overdue
 * again, which a consumer may see twice, but never misses.
 */
import type { Job } from '../core/job.ts';
import type { BusEvent, JobQuery, Page, ReplicaStatus } from '../core/ports.ts';
import type { Logger } from '../core/task.ts';
import { isOverdue } from './health.ts';

export interface OverdueWatchOptions {
  instance: string;
  replicas(): Promise<ReplicaStatus[]>;
  listJobs(query: JobQuery): Promise<Page<Job>>;
  lastSuccessAt(jobId: string): Promise<number | null>;
  now(): number;
  publish(event: BusEvent): void;
  logger: Logger;
  /** Default 10 s. */
  intervalMs?: number;
}

const PAGE = 500;

export function watchOverdueJobs(options: OverdueWatchOptions) {
  const overdue = new Set<string>();
  let timer: ReturnType<typeof setInterval> | null = null;
  let checking: Promise<void> | null = null;

  async function check(): Promise<void> {
    const [oldest] = await options.replicas();
    if (oldest?.instance !== options.instance) return;
    const seen = new Set<string>();
    let after: string | null = null;
    do {
      const page = await options.listJobs({ first: PAGE, after });
      for (const job of page.items) {
        if (job.expectSuccessWithinMs == null) continue;
        seen.add(job.id);
        const now = options.now();
        const late = isOverdue(job, await options.lastSuccessAt(job.id), now);
        if (!late) overdue.delete(job.id);
        else if (!overdue.has(job.id)) {
          overdue.add(job.id);
          options.publish({ stream: 'job', type: 'overdue', at: now, jobId: job.id, job });
          options.logger.warn('job overdue: no run succeeded in time', {
            jobId: job.id,
            expectSuccessWithinMs: job.expectSuccessWithinMs,
          });
        }
      }
      after = page.hasNextPage ? page.endCursor : null;
    } while (after !== null);
    for (const id of overdue) if (!seen.has(id)) overdue.delete(id); // removed, or its switch cleared
  }

  const tick = () => {
    checking ??= check()
      .catch((error: unknown) => options.logger.warn('checking overdue jobs failed', { error }))
      .finally(() => {
        checking = null;
      });
  };

  return {
    /** One check now (tests); resolves when it is done. */
    check: async () => {
      tick();
      await checking;
    },
    start() {
      timer ??= setInterval(tick, options.intervalMs ?? 10_000);
      // A timer must never keep a process alive on its own.
      (timer as { unref?: () => void }).unref?.();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await checking;
    },
  };
}
