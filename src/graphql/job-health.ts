/**
 * Schedule health on Job (issue 10): `stats(windowMs)`, a summary of the recent history, and
 * `health`, one word per job (src/health/health.ts), plus the dead-man's switch it reads.
 */

import { ValidationError } from '../core/errors.ts';
import type { ExecutionStatus } from '../core/execution.ts';
import type { Job } from '../core/job.ts';
import type { ExecutionStats } from '../core/ports.ts';
import { jobHealth } from '../health/health.ts';
import { builder } from './builder.ts';
import { ExecutionStatusEnum } from './execution.ts';
import { JobRef } from './job.ts';

const DAY_MS = 86_400_000;
/** Retention is days to months; a window past 90 days reads more history than a dashboard needs. */
const MAX_WINDOW_MS = 90 * DAY_MS;

interface StatsShape extends ExecutionStats {
  windowMs: number;
  since: number;
}

interface StatusCount {
  status: ExecutionStatus;
  count: number;
}

/** Rows that say whether the job works: skipped (all instances busy) and open rows say nothing. */
const JUDGED: readonly ExecutionStatus[] = ['success', 'failed', 'timed_out', 'missed', 'abandoned'];

const StatusCountRef = builder.objectRef<StatusCount>('ExecutionStatusCount').implement({
  fields: (t) => ({
    status: t.expose('status', { type: ExecutionStatusEnum }),
    count: t.exposeInt('count'),
  }),
});

const JobStatsRef = builder.objectRef<StatsShape>('JobStats').implement({
  description: 'A job’s history over a window (by scheduledFor), summed up.',
  fields: (t) => ({
    windowMs: t.exposeInt('windowMs'),
    since: t.expose('since', { type: 'DateTime', description: 'The window’s start: now - windowMs.' }),
    total: t.int({
      resolve: (stats) => Object.values(stats.counts).reduce((sum, n) => sum + (n ?? 0), 0),
    }),
    counts: t.field({
      type: [StatusCountRef],
      description: 'Rows by status; statuses without rows are left out.',
      resolve: (stats) =>
        Object.entries(stats.counts).map(([status, count]) => ({
          status: status as ExecutionStatus,
          count: count ?? 0,
        })),
    }),
    successRate: t.float({
      nullable: true,
      description:
        'SUCCESS over finished rows that ran or should have (SKIPPED, PENDING and RUNNING left out); null when none.',
      resolve: (stats) => {
        const judged = JUDGED.reduce((sum, status) => sum + (stats.counts[status] ?? 0), 0);
        return judged === 0 ? null : (stats.counts.success ?? 0) / judged;
      },
    }),
    latenessP50Ms: t.exposeFloat('latenessP50Ms', {
      nullable: true,
      description: 'From the nominal time (a retry’s: its dueAt) to the start, over runs that started.',
    }),
    latenessP99Ms: t.exposeFloat('latenessP99Ms', { nullable: true }),
    durationP50Ms: t.exposeFloat('durationP50Ms', { nullable: true }),
    durationP99Ms: t.exposeFloat('durationP99Ms', { nullable: true }),
    lastSuccessAt: t.expose('lastSuccessAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the newest successful run finished, in the whole history (not only the window).',
    }),
  }),
});

const JobHealthEnum = builder.enumType('JobHealth', {
  values: {
    OK: { value: 'ok' },
    LATE: {
      value: 'late',
      description: 'Its next fire is over a minute past due, or its newest run started that late.',
    },
    FAILING: { value: 'failing', description: 'Its newest run failed, timed out, was abandoned or missed.' },
    OVERDUE: {
      value: 'overdue',
      description:
        'No run succeeded within expectSuccessWithinMs (counted from its creation before the first success).',
    },
  } as const,
});

builder.objectFields(JobRef, (t) => ({
  expectSuccessWithinMs: t.int({
    nullable: true,
    description:
      'Dead-man’s switch: the job is OVERDUE when no run succeeded for this long; null = not watched.',
    resolve: (job) => job.expectSuccessWithinMs ?? null,
  }),
  stats: t.field({
    type: JobStatsRef,
    args: { windowMs: t.arg.int({ defaultValue: DAY_MS, description: 'Default one day, at most 90.' }) },
    resolve: async (job, args, ctx) => {
      const windowMs = args.windowMs ?? DAY_MS;
      if (!Number.isInteger(windowMs) || windowMs < 1 || windowMs > MAX_WINDOW_MS)
        throw new ValidationError('windowMs', `must be between 1 and ${MAX_WINDOW_MS}, got ${windowMs}`);
      const since = ctx.service.now() - windowMs;
      return { ...(await ctx.service.executionStats(job.id, since)), windowMs, since };
    },
  }),
  health: t.loadable({
    type: JobHealthEnum,
    // One latestByJob call for the jobs of a page; the last success only for jobs with the switch.
    load: async (jobs: Job[], ctx) => {
      const latest = await ctx.service.latestExecutions([...new Set(jobs.map((job) => job.id))]);
      const now = ctx.service.now();
      return Promise.all(
        jobs.map(async (job) => {
          const lastSuccessAt =
            job.expectSuccessWithinMs == null ? null : await ctx.service.lastSuccessAt(job.id);
          return jobHealth(job, { now, latest: latest.get(job.id) ?? null, lastSuccessAt });
        }),
      );
    },
    loaderOptions: { cache: false },
    resolve: (job) => job,
  }),
}));
