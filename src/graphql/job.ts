/**
 * Job: the type, its connection, the `job` / `jobs` queries, and `JobExecution.job` (added here so
 * execution.ts need not know about jobs). The mutations are in job-mutations.ts.
 */
import type { Execution } from '../core/execution.ts';
import type { Job, RetryPolicy } from '../core/job.ts';
import { annotateRuns } from '../core/triggers/annotate.ts';
import { builder } from './builder.ts';
import { type Connection, NESTED_PAGE_SIZE, paginate } from './connection.ts';
import { ExecutionConnection, ExecutionRef, ExecutionStatusEnum, listExecutions } from './execution.ts';
import { CoalescePolicyEnum, ExclusionRef, OverlapPolicyEnum } from './job-policies.ts';
import { PreviewRunRef, TriggerRef } from './trigger.ts';

/**
 * Batch per tick, cache nothing: a subscription's context lives as long as its stream, so a cached
 * job or execution would be served, stale, to its later events.
 */
const NO_CACHE = { cache: false } as const;

const RetryPolicyRef = builder.objectRef<RetryPolicy>('RetryPolicy').implement({
  description: 'How failed attempts are retried; each attempt is its own execution.',
  fields: (t) => ({
    attempts: t.exposeInt('attempts', { description: 'Total attempts including the first; 1 = no retry.' }),
    backoffMs: t.exposeInt('backoffMs', { description: 'Delay before the second attempt.' }),
    factor: t.exposeFloat('factor', { description: 'Each further delay is multiplied by this.' }),
    maxBackoffMs: t.exposeInt('maxBackoffMs'),
    jitter: t.exposeBoolean('jitter', { description: 'Each delay is random in [delay/2, delay].' }),
  }),
});

export const JobRef = builder.objectRef<Job>('Job').implement({
  description: 'A schedule of a task.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    task: t.exposeString('task'),
    args: t.expose('args', { type: 'JSON' }),
    trigger: t.field({ type: TriggerRef, resolve: (job) => job.trigger }),
    paused: t.exposeBoolean('paused'),
    pausedAt: t.expose('pausedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the job was paused; null when it is not paused.',
    }),
    pausedBy: t.string({
      nullable: true,
      description: 'Who paused it: the token (by scope), "jobs file" or "system"; null when not paused.',
      resolve: (job) => (job.paused ? (job.pausedBy ?? null) : null),
    }),
    pauseAfterFailures: t.int({
      nullable: true,
      description: 'Paused by the system after this many consecutive failed runs; null = never.',
      resolve: (job) => job.pauseAfterFailures ?? null,
    }),
    exclusions: t.field({ type: [ExclusionRef], resolve: (job) => job.exclusions ?? [] }),
    pauseReason: t.exposeString('pauseReason', {
      nullable: true,
      description:
        'Why it was paused: an operator’s note, or the scheduler’s when it quarantined a job it could not read or plan.',
    }),
    nextRunTime: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The nominal next fire (before jitter); null when paused or finished.',
      resolve: (job) => (job.paused ? null : job.nextRunTime),
    }),
    coalesce: t.boolean({
      description: 'Run missed fires once instead of each (coalescePolicy EARLIEST or LATEST).',
      resolve: (job) => job.coalesce !== 'all',
    }),
    coalescePolicy: t.field({ type: CoalescePolicyEnum, resolve: (job) => job.coalesce }),
    overlap: t.field({ type: OverlapPolicyEnum, resolve: (job) => job.overlap ?? 'skip' }),
    maxRuns: t.int({
      nullable: true,
      description: 'The job finishes after this many runs; null = no limit.',
      resolve: (job) => job.maxRuns ?? null,
    }),
    runCount: t.int({
      description: 'Scheduled fires decided to run so far (a fire SKIPPED at its due time counts).',
      resolve: (job) => job.runCount ?? 0,
    }),
    remainingRuns: t.int({
      nullable: true,
      description: 'maxRuns - runCount; null without a limit.',
      resolve: (job) => (job.maxRuns == null ? null : Math.max(0, job.maxRuns - (job.runCount ?? 0))),
    }),
    maxInstances: t.exposeInt('maxInstances'),
    misfireGraceTimeMs: t.exposeInt('misfireGraceTimeMs', {
      nullable: true,
      description: 'A fire later than this is recorded MISSED instead of run; null = run however late.',
    }),
    timeoutMs: t.exposeInt('timeoutMs', { nullable: true }),
    retry: t.expose('retry', { type: RetryPolicyRef }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    version: t.exposeInt('version', { description: 'Bumped by every change of the definition.' }),
    upcoming: t.field({
      type: ['DateTime'],
      description: 'The next `count` nominal fire times (0 to 100), starting with nextRunTime.',
      args: { count: t.arg.int({ defaultValue: 5 }) },
      resolve: (job, args, ctx) => ctx.service.upcoming(job, args.count ?? 5),
    }),
    upcomingRuns: t.field({
      type: [PreviewRunRef],
      description: 'upcoming, each fire marked when a DST change moved it.',
      args: { count: t.arg.int({ defaultValue: 5 }) },
      resolve: (job, args, ctx) => annotateRuns(job.trigger, ctx.service.upcoming(job, args.count ?? 5)),
    }),
    lastExecution: t.loadable({
      type: ExecutionRef,
      nullable: true,
      // One ExecutionLog.latestByJob call for all the jobs of a page.
      load: async (ids: string[], ctx) => {
        const latest = await ctx.service.latestExecutions([...new Set(ids)]);
        return ids.map((id) => latest.get(id) ?? null);
      },
      loaderOptions: NO_CACHE,
      resolve: (job) => job.id,
    }),
    executions: t.field({
      type: ExecutionConnection,
      description: 'This job’s history, newest first. For more than one job’s, use Query.executions.',
      args: {
        status: t.arg({ type: [ExecutionStatusEnum] }),
        first: t.arg.int({ description: 'Default 10, at most 100.' }),
        after: t.arg.string(),
      },
      resolve: (job, args, ctx) => listExecutions(ctx.service, { ...args, jobId: job.id }, NESTED_PAGE_SIZE),
    }),
  }),
});

builder.objectField(ExecutionRef, 'job', (t) =>
  t.loadable({
    type: JobRef,
    nullable: true,
    description: 'The job now; null when it was removed.',
    // Each job read once however many of the listed executions are its own.
    load: async (ids: string[], ctx) => {
      const unique = [...new Set(ids)];
      const jobs = await Promise.all(unique.map((id) => ctx.service.findJob(id)));
      const byId = new Map(unique.map((id, i) => [id, jobs[i] ?? null]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    loaderOptions: NO_CACHE,
    resolve: (execution: Execution) => execution.jobId,
  }),
);

interface JobConnectionShape extends Connection<Job> {
  filtered: boolean;
}

const JobConnection = builder.connectionObject(
  {
    type: JobRef,
    name: 'JobConnection',
    description: 'Jobs ordered by id.',
    fields: (t) => ({
      totalCount: t.int({
        nullable: true,
        description: 'How many jobs exist; null when a filter is set (that count is not cheap).',
        // The jobs query resolves a JobConnectionShape; the plugin types the parent by its edges.
        resolve: (connection, _args, ctx) =>
          (connection as unknown as JobConnectionShape).filtered ? null : ctx.service.countJobs(),
      }),
    }),
  },
  { name: 'JobEdge' },
);

const JobFilter = builder.inputType('JobFilter', {
  fields: (t) => ({
    paused: t.boolean(),
    task: t.string(),
  }),
});

builder.queryField('job', (t) =>
  t.field({
    type: JobRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.service.findJob(args.id),
  }),
);

builder.queryField('jobs', (t) =>
  t.field({
    type: JobConnection,
    args: {
      filter: t.arg({ type: JobFilter }),
      first: t.arg.int({ description: 'Default 50, at most 500.' }),
      after: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const paused = args.filter?.paused ?? null;
      const task = args.filter?.task ?? null;
      const connection = await paginate(
        (after, first) => ctx.service.listJobs({ first, after, paused, task }),
        args.first,
        args.after,
      );
      return { ...connection, filtered: paused !== null || task !== null };
    },
  }),
);
