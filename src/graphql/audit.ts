/** The audit trail of job changes: JobChange, Job.changes and Query.auditLog (read scope, as the history). */
import type { JobService } from '../core/job-service.ts';
import type { AuditEntry } from '../core/ports.ts';
import { builder } from './builder.ts';
import { type Connection, NESTED_PAGE_SIZE, PAGE_SIZE, type PageSize, paginate } from './connection.ts';
import { JobRef } from './job.ts';

const AuditActionEnum = builder.enumType('JobChangeAction', {
  values: {
    ADDED: { value: 'added' },
    UPDATED: { value: 'updated', description: 'Also a jobs file declaring a changed definition.' },
    PAUSED: { value: 'paused' },
    RESUMED: { value: 'resumed' },
    RESCHEDULED: { value: 'rescheduled' },
    REMOVED: { value: 'removed' },
    BACKFILLED: {
      value: 'backfilled',
      description: 'backfillJob; `after` holds the window and how many fires.',
    },
    QUARANTINED: {
      value: 'quarantined',
      description: 'Paused by the scheduler: the job could not be planned.',
    },
  } as const,
});

const JobChangeRef = builder.objectRef<AuditEntry>('JobChange').implement({
  description: 'One change to a job, kept as long as the history (KAIROS_RETENTION_DAYS).',
  fields: (t) => ({
    id: t.exposeID('id'),
    jobId: t.exposeID('jobId'),
    action: t.expose('action', { type: AuditActionEnum }),
    actor: t.exposeString('actor', {
      description:
        'Who: the scope of the token ("admin token", "anonymous (admin)"), "jobs file" or "system".',
    }),
    at: t.expose('at', { type: 'DateTime' }),
    before: t.expose('before', {
      type: 'JSON',
      nullable: true,
      description: 'The job before; null when added.',
    }),
    after: t.expose('after', {
      type: 'JSON',
      nullable: true,
      description: 'The job after; null when removed.',
    }),
  }),
});

const JobChangeConnection = builder.connectionObject(
  { type: JobChangeRef, name: 'JobChangeConnection', description: 'Newest first.' },
  { name: 'JobChangeEdge' },
);

function listChanges(
  service: JobService,
  args: { jobId?: string | null; first?: number | null; after?: string | null },
  size: PageSize,
): Promise<Connection<AuditEntry>> {
  const jobId = args.jobId ?? null;
  return paginate(
    (after, first) => service.listChanges({ jobId, first, after }),
    args.first,
    args.after,
    size,
  );
}

builder.objectField(JobRef, 'changes', (t) =>
  t.field({
    type: JobChangeConnection,
    description: 'This job’s audit trail, newest first. Kept after it is removed: see Query.auditLog.',
    args: { first: t.arg.int({ description: 'Default 10, at most 100.' }), after: t.arg.string() },
    resolve: (job, args, ctx) => listChanges(ctx.service, { ...args, jobId: job.id }, NESTED_PAGE_SIZE),
  }),
);

builder.queryField('auditLog', (t) =>
  t.field({
    type: JobChangeConnection,
    description: 'Every change to every job (or to `jobId`, removed or not), newest first.',
    args: {
      jobId: t.arg.id(),
      first: t.arg.int({ description: 'Default 50, at most 500.' }),
      after: t.arg.string(),
    },
    resolve: (_root, args, ctx) => listChanges(ctx.service, args, PAGE_SIZE),
  }),
);
