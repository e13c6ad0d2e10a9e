/** The backfillJob mutation (runs a job's fires of a window now; see src/core/backfill.ts). */
import type { BackfillFire, BackfillResult } from '../core/backfill.ts';
import {
  DEFAULT_BACKFILL_PER_SECOND,
  MAX_BACKFILL_FIRES,
  MAX_BACKFILL_PER_SECOND,
} from '../core/backfill.ts';
import { mutationScope } from './auth.ts';
import { builder } from './builder.ts';

const BackfillOverlapEnum = builder.enumType('BackfillOverlap', {
  description:
    'What a backfill fire does when all the job’s maxInstances are busy at its due time (the policy is stored with each fire, so any replica that runs it honours it). ALLOW_ALL is not offered: maxInstances bounds every run of a job.',
  values: {
    SKIP: { value: 'skip', description: 'It is recorded SKIPPED with the reason.' },
    BUFFER_ONE: {
      value: 'buffer_one',
      description:
        'It waits for a slot when no other fire of the job waits (cluster-wide, in the job’s queue); otherwise it is SKIPPED.',
    },
    BUFFER_ALL: {
      value: 'buffer_all',
      description: 'It waits for a free slot, like a retry: never SKIPPED for a busy slot (the default).',
    },
    CANCEL_OTHER: {
      value: 'cancel_other',
      description:
        'The job’s oldest run is aborted through its AbortSignal and recorded CANCELLED; the fire starts when that slot frees. At most maxInstances fires wait so: a further one due meanwhile is SKIPPED.',
    },
  } as const,
});

const BackfillFireRef = builder.objectRef<BackfillFire>('BackfillFire').implement({
  fields: (t) => ({
    scheduledFor: t.expose('scheduledFor', { type: 'DateTime', description: 'The nominal fire time.' }),
    attempt: t.exposeInt('attempt', {
      description: 'The attempt its run is stored under: 1, or the next after its highest recorded one.',
    }),
    dueAt: t.expose('dueAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it starts (spaced by maxPerSecond); null when it is left out.',
    }),
    recorded: t.exposeBoolean('recorded', { description: 'It has a terminal record already.' }),
    scheduled: t.exposeBoolean('scheduled', {
      description:
        'Part of this backfill. False: recorded already (and rerun is false), in flight, or recorded while the backfill was stored.',
    }),
  }),
});

const BackfillResultRef = builder.objectRef<BackfillResult>('BackfillResult').implement({
  fields: (t) => ({
    dryRun: t.exposeBoolean('dryRun'),
    fires: t.field({
      type: [BackfillFireRef],
      description: 'Every nominal fire of the window, in order.',
      resolve: (result) => result.fires,
    }),
    scheduledCount: t.int({
      description: 'How many fires run (or, for a dry run, would run).',
      resolve: (result) => result.fires.filter((fire) => fire.scheduled).length,
    }),
  }),
});

builder.mutationField('backfillJob', (t) =>
  t.field({
    ...mutationScope('operate'),
    type: BackfillResultRef,
    description: `Needs operate. Runs the job's nominal fires of [from, to] now (trigger kind BACKFILL), at most maxPerSecond a second, each recorded in the history; at most ${MAX_BACKFILL_FIRES} fires. A fire that has a terminal record is left out unless rerun, which stores its run under the next attempt number. Stored as PENDING rows: any replica runs them, a restart does not lose them, pausing or removing the job records the rest SKIPPED. CONFLICT when the job is paused.`,
    args: {
      id: t.arg.id({ required: true }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      overlap: t.arg({
        type: BackfillOverlapEnum,
        defaultValue: 'buffer_all',
        description: 'When all maxInstances are busy at a fire’s due time (see BackfillOverlap).',
      }),
      dryRun: t.arg.boolean({ defaultValue: false, description: 'List the fires; store nothing.' }),
      rerun: t.arg.boolean({
        defaultValue: false,
        description: 'Run again fires that have a terminal record.',
      }),
      maxPerSecond: t.arg.int({
        defaultValue: DEFAULT_BACKFILL_PER_SECOND,
        description: `Between 1 and ${MAX_BACKFILL_PER_SECOND}.`,
      }),
    },
    resolve: (_root, args, ctx) =>
      ctx.service.backfillJob(args.id, {
        from: args.from,
        to: args.to,
        dryRun: args.dryRun ?? false,
        rerun: args.rerun ?? false,
        maxPerSecond: args.maxPerSecond ?? DEFAULT_BACKFILL_PER_SECOND,
        overlap: args.overlap ?? 'buffer_all',
      }),
  }),
);
