/**
 * Schedule health (issue 10), one word per job for a dashboard, worst first:
 * - OVERDUE: the job has a dead-man's switch (expectSuccessWithinMs) and no run succeeded within
 *   it (counted from its creation until its first success). A paused job is not expected to run.
 * - FAILING: its newest run ended in failure (failed, timed out, abandoned, missed).
 * - LATE: its next fire is more than LATE_AFTER_MS past due (nobody fired it), or its newest run
 *   started that late.
 * - OK: none of these.
 */
import { type Execution, latenessMs } from '../core/execution.ts';
import type { Job } from '../core/job.ts';

export type JobHealth = 'ok' | 'late' | 'failing' | 'overdue';

/** The misfire grace time's default: later than this, a fire is late by anyone's measure. */
export const LATE_AFTER_MS = 60_000;

const FAILURES = new Set(['failed', 'timed_out', 'abandoned', 'missed']);

export interface HealthFacts {
  now: number;
  /** The job's newest history row. */
  latest: Execution | null;
  /** finishedAt of its newest success; only read for a job with a dead-man's switch. */
  lastSuccessAt: number | null;
}

export function isOverdue(job: Job, lastSuccessAt: number | null, now: number): boolean {
  const within = job.expectSuccessWithinMs ?? null;
  return within !== null && !job.paused && now - (lastSuccessAt ?? job.createdAt) > within;
}

export function jobHealth(job: Job, facts: HealthFacts): JobHealth {
  if (isOverdue(job, facts.lastSuccessAt, facts.now)) return 'overdue';
  const latest = facts.latest;
  if (latest !== null && FAILURES.has(latest.status)) return 'failing';
  const stuck = !job.paused && job.dueAt !== null && facts.now - job.dueAt > LATE_AFTER_MS;
  const lateness = latest === null ? null : latenessMs(latest);
  if (stuck || (lateness !== null && lateness > LATE_AFTER_MS)) return 'late';
  return 'ok';
}
