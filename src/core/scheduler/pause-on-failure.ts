/**
 * pauseAfterFailures: a job whose last N runs failed is paused, with a reason that says so and a
 * `paused` job event. Each replica checks after the final failure of a run of its own, reading the
 * earlier runs from the shared history, so the count is cluster-wide. A run counts once, by its
 * last attempt (a failed attempt that was retried is not a failed run); fires that did not run
 * (skipped, missed, cancelled) neither count nor break the streak.
 */
import { ConflictError } from '../errors.ts';
import type { SchedulerEvents } from '../events.ts';
import type { Execution, ExecutionStatus } from '../execution.ts';
import type { Job } from '../job.ts';
import type { BusEvent, ExecutionLog, JobStore } from '../ports.ts';
import type { StoreClock } from './store-clock.ts';

export interface PauseOnFailureOptions {
  store: JobStore;
  log: ExecutionLog;
  clock: StoreClock;
  events: SchedulerEvents;
  publish: (event: BusEvent) => void;
  /** The job was paused (stored): for the audit trail. */
  onPaused?: (before: Job, after: Job) => void;
}

const RAN: ExecutionStatus[] = ['success', 'failed', 'timed_out', 'abandoned'];
const FAILED = new Set<ExecutionStatus>(['failed', 'timed_out', 'abandoned']);

export class PauseOnFailure {
  private readonly o: PauseOnFailureOptions;

  constructor(options: PauseOnFailureOptions) {
    this.o = options;
  }

  /** After a run's final attempt failed (`row`, not yet in the history: it is in the outbox). */
  failed(job: Job, row: Execution): void {
    const limit = job.pauseAfterFailures ?? null;
    if (limit === null) return;
    this.check(job.id, limit, row).catch((error: unknown) =>
      this.o.events.emit('error', { error, during: 'pause after failures' }),
    );
  }

  private async check(jobId: string, limit: number, row: Execution): Promise<void> {
    if (limit > 1) {
      // Enough rows for limit - 1 earlier runs even when each took the most attempts.
      const page = await this.o.log.list({ jobId, status: RAN, first: Math.min(1_000, limit * 10) });
      const runs = lastAttempts(page.items.filter((r) => r.id !== row.id && fireKey(r) !== fireKey(row)));
      const earlier = runs.slice(0, limit - 1);
      if (earlier.length < limit - 1 || !earlier.every((r) => FAILED.has(r.status))) return;
    }
    await this.pause(jobId, limit);
  }

  private async pause(jobId: string, limit: number): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.o.store.get(jobId);
      if (!current || current.paused) return;
      const at = this.o.clock.now();
      const paused: Job = {
        ...current,
        paused: true,
        pausedAt: at,
        pausedBy: 'system',
        pauseReason: `paused after ${limit} consecutive failed run(s) (pauseAfterFailures)`,
        updatedAt: at,
        version: current.version + 1,
      };
      try {
        await this.o.store.update(paused, current.version, 'keep');
      } catch (error) {
        if (error instanceof ConflictError) continue; // changed meanwhile: look again
        throw error;
      }
      this.o.publish({ stream: 'job', type: 'paused', at, jobId, job: paused });
      this.o.onPaused?.(current, paused);
      return;
    }
  }
}

function fireKey(row: Execution): string {
  return `${row.triggerKind === 'retry' ? 'scheduled' : row.triggerKind}:${row.scheduledFor}`;
}

/** The last attempt of each fire, newest fire first. */
function lastAttempts(rows: Execution[]): Execution[] {
  const byFire = new Map<string, Execution>();
  for (const row of rows) {
    const known = byFire.get(fireKey(row));
    if (!known || known.attempt < row.attempt) byFire.set(fireKey(row), row);
  }
  return [...byFire.values()].sort((a, b) => b.scheduledFor - a.scheduledFor);
}
