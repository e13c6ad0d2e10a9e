/**
 * JobExecution: one row of the history (an attempt, or a fire that did not run), its enums, its
 * connection, and the `execution` / `executions` queries. `JobExecution.job` is added by job.ts.
 */
import type { Execution, ExecutionError, ExecutionStatus } from '../core/execution.ts';
import type { JobService } from '../core/job-service.ts';
import type { ExecutionQuery } from '../core/ports.ts';
import { builder } from './builder.ts';
import { type Connection, PAGE_SIZE, type PageSize, paginate } from './connection.ts';

export const ExecutionStatusEnum = builder.enumType('ExecutionStatus', {
  values: {
    PENDING: {
      value: 'pending',
      description: 'A retry waiting for its dueAt (stored: it survives restarts and replica death).',
    },
    RUNNING: { value: 'running' },
    SUCCESS: { value: 'success' },
    FAILED: { value: 'failed' },
    TIMED_OUT: { value: 'timed_out' },
    MISSED: { value: 'missed', description: 'Later than the misfire grace time: recorded, not run.' },
    SKIPPED: { value: 'skipped', description: 'All maxInstances were busy: recorded, not run.' },
    ABANDONED: { value: 'abandoned', description: 'Its replica stopped or died while it ran.' },
    CANCELLED: {
      value: 'cancelled',
      description: 'Aborted through its AbortSignal by a newer fire of its job (overlap CANCEL_OTHER).',
    },
  } as const,
});

export const TriggerKindEnum = builder.enumType('TriggerKind', {
  values: {
    SCHEDULED: { value: 'scheduled' },
    MANUAL: { value: 'manual', description: 'Started by runJobNow.' },
    RETRY: { value: 'retry' },
    BACKFILL: { value: 'backfill', description: 'A fire of a past (or future) window run by backfillJob.' },
  } as const,
});

const ExecutionErrorRef = builder.objectRef<ExecutionError>('ExecutionError').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    stack: t.exposeString('stack', { nullable: true }),
  }),
});

export const ExecutionRef = builder.objectRef<Execution>('JobExecution').implement({
  description:
    'One attempt of one fire, or fires that did not run (MISSED, SKIPPED; such a record may cover a range: scheduledFor is the first fire, coversUntil the last).',
  fields: (t) => ({
    id: t.exposeID('id'),
    jobId: t.exposeID('jobId'),
    jobName: t.exposeString('jobName'),
    task: t.exposeString('task'),
    status: t.expose('status', { type: ExecutionStatusEnum }),
    triggerKind: t.expose('triggerKind', { type: TriggerKindEnum }),
    scheduledFor: t.expose('scheduledFor', { type: 'DateTime', description: 'The nominal fire time.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    durationMs: t.exposeInt('durationMs', { nullable: true }),
    attempt: t.exposeInt('attempt', { description: '1-based.' }),
    instance: t.exposeString('instance', {
      description: 'The replica that decided this row (for a PENDING retry: the one that scheduled it).',
    }),
    dueAt: t.expose('dueAt', {
      type: 'DateTime',
      nullable: true,
      description: "When this attempt is due to start: a retry's backoff end, else the fire's due time.",
    }),
    coversUntil: t.expose('coversUntil', {
      type: 'DateTime',
      nullable: true,
      description: 'The last nominal fire this record covers; null when it covers only scheduledFor.',
    }),
    coveredFires: t.exposeInt('coveredFires', {
      description: 'How many nominal fires this record accounts for (1 unless it covers a range).',
    }),
    error: t.expose('error', { type: ExecutionErrorRef, nullable: true }),
    result: t.expose('result', { type: 'JSON', nullable: true }),
  }),
});

/** The filters travel with the page, so totalCount (asked for or not) can count the same rows. */
interface ExecutionConnectionShape extends Connection<Execution> {
  filter: ExecutionFilterArgs;
}

export const ExecutionConnection = builder.connectionObject(
  {
    type: ExecutionRef,
    name: 'JobExecutionConnection',
    description: 'Newest first: scheduledFor, then attempt, descending.',
    fields: (t) => ({
      totalCount: t.int({
        description: 'How many rows match the filters (all pages).',
        // listExecutions resolves an ExecutionConnectionShape; the plugin types the parent by its edges.
        resolve: (connection, _args, ctx) =>
          ctx.service.countExecutions((connection as unknown as ExecutionConnectionShape).filter),
      }),
    }),
  },
  { name: 'JobExecutionEdge' },
);

export interface ExecutionFilter {
  jobId?: string | null;
  status?: readonly ExecutionStatus[] | null;
  since?: number | null;
  until?: number | null;
  first?: number | null;
  after?: string | null;
}

type ExecutionFilterArgs = Omit<ExecutionQuery, 'first' | 'after'>;

export async function listExecutions(
  service: Pick<JobService, 'listExecutions'>,
  filter: ExecutionFilter,
  size: PageSize = PAGE_SIZE,
): Promise<Connection<Execution>> {
  const filters: ExecutionFilterArgs = {
    jobId: filter.jobId ?? null,
    status: filter.status ? [...filter.status] : null,
    since: filter.since ?? null,
    until: filter.until ?? null,
  };
  const connection = await paginate(
    (after, first) => service.listExecutions({ ...filters, first, after }),
    filter.first,
    filter.after,
    size,
  );
  return Object.assign(connection, { filter: filters });
}

builder.queryField('execution', (t) =>
  t.field({
    type: ExecutionRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.service.findExecution(args.id),
  }),
);

builder.queryField('executions', (t) =>
  t.field({
    type: ExecutionConnection,
    description: 'The history, newest first. `since` <= scheduledFor < `until`.',
    args: {
      jobId: t.arg.id(),
      status: t.arg({ type: [ExecutionStatusEnum] }),
      since: t.arg({ type: 'DateTime' }),
      until: t.arg({ type: 'DateTime' }),
      first: t.arg.int({ description: 'Default 50, at most 500.' }),
      after: t.arg.string(),
    },
    resolve: (_root, args, ctx) => listExecutions(ctx.service, args),
  }),
);
