/**
 * Subscriptions: `executionEvents` and `jobEvents`, served from the app's EventHub (one bus
 * subscription for all clients, a bounded queue each). A client that falls behind gets one
 * SLOW_CONSUMER error and its stream ends; `sequence` lets a client that resubscribes see the gap.
 */
import type { ExecutionEvent, JobEvent } from '../core/ports.ts';
import { builder } from './builder.ts';
import { clientError } from './errors.ts';
import { isOverflow, type Overflow } from './event-hub.ts';
import { ExecutionRef } from './execution.ts';
import { JobRef } from './job.ts';

type Sequenced<E> = E & { sequence: number };

const ExecutionEventTypeEnum = builder.enumType('ExecutionEventType', {
  values: {
    SCHEDULED: { value: 'scheduled', description: 'A retry was stored as PENDING until its dueAt.' },
    STARTED: { value: 'started' },
    SUCCEEDED: { value: 'succeeded' },
    FAILED: { value: 'failed' },
    TIMED_OUT: { value: 'timed_out' },
    MISSED: { value: 'missed' },
    SKIPPED: { value: 'skipped' },
    ABANDONED: { value: 'abandoned' },
    CANCELLED: {
      value: 'cancelled',
      description: 'Aborted by a newer fire of its job (overlap CANCEL_OTHER).',
    },
  } as const,
});

const JobEventTypeEnum = builder.enumType('JobEventType', {
  values: {
    ADDED: { value: 'added' },
    UPDATED: { value: 'updated' },
    PAUSED: { value: 'paused' },
    RESUMED: { value: 'resumed' },
    RESCHEDULED: { value: 'rescheduled' },
    REMOVED: { value: 'removed' },
    FINISHED: {
      value: 'finished',
      description: 'A date trigger fired, or an end date passed: no more fires.',
    },
    OVERDUE: {
      value: 'overdue',
      description: 'No run succeeded within the job’s expectSuccessWithinMs (its health turned OVERDUE).',
    },
  } as const,
});

const SEQUENCE_DESCRIPTION =
  'Increases by one per event of this stream across all replicas: a jump means events were missed. An integer (Float because it outgrows 32 bits).';

const ExecutionEventRef = builder.objectRef<Sequenced<ExecutionEvent>>('ExecutionEvent').implement({
  fields: (t) => ({
    type: t.expose('type', { type: ExecutionEventTypeEnum }),
    sequence: t.exposeFloat('sequence', { description: SEQUENCE_DESCRIPTION }),
    at: t.expose('at', { type: 'DateTime' }),
    execution: t.expose('execution', { type: ExecutionRef }),
  }),
});

const JobEventRef = builder.objectRef<Sequenced<JobEvent>>('JobEvent').implement({
  fields: (t) => ({
    type: t.expose('type', { type: JobEventTypeEnum }),
    sequence: t.exposeFloat('sequence', { description: SEQUENCE_DESCRIPTION }),
    at: t.expose('at', { type: 'DateTime' }),
    jobId: t.exposeID('jobId'),
    job: t.field({
      type: JobRef,
      nullable: true,
      description: 'The job after the change; null for REMOVED.',
      // The event carries the job as it was then: no store read per event and subscriber.
      resolve: (event) => (event.type === 'removed' ? null : event.job),
    }),
  }),
});

function unlessOverflow<E>(payload: E | Overflow): E {
  if (isOverflow(payload))
    throw clientError(
      'SLOW_CONSUMER',
      `this subscription fell ${payload.limit} events behind and was closed; subscribe again and compare sequence numbers to see what was missed`,
    );
  return payload;
}

builder.subscriptionField('executionEvents', (t) =>
  t.field({
    type: ExecutionEventRef,
    description: 'Executions starting and finishing, of every job or of one.',
    args: { jobId: t.arg.id() },
    subscribe: (_root, args, ctx) => ctx.hub.subscribe('execution', args.jobId ?? null),
    resolve: (payload: Sequenced<ExecutionEvent> | Overflow) => unlessOverflow(payload),
  }),
);

builder.subscriptionField('jobEvents', (t) =>
  t.field({
    type: JobEventRef,
    description: 'Jobs added, changed, paused, resumed, rescheduled, removed or finished.',
    args: { jobId: t.arg.id() },
    subscribe: (_root, args, ctx) => ctx.hub.subscribe('job', args.jobId ?? null),
    resolve: (payload: Sequenced<JobEvent> | Overflow) => unlessOverflow(payload),
  }),
);
