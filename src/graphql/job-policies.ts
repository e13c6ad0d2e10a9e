/** The enums of a job's schedule policies (issue 12), shared by the Job type and the job inputs. */
import type { Exclusion } from '../core/exclusions.ts';
import { builder } from './builder.ts';

export const CoalescePolicyEnum = builder.enumType('CoalescePolicy', {
  description: 'Which overdue fires a catch-up runs; the others are covered by one MISSED record.',
  values: {
    EARLIEST: { value: 'earliest', description: 'The first overdue fire.' },
    LATEST: { value: 'latest', description: 'The last overdue fire (coalesce: true).' },
    ALL: { value: 'all', description: 'Every overdue fire within the misfire grace (coalesce: false).' },
  } as const,
});

export const OverlapPolicyEnum = builder.enumType('OverlapPolicy', {
  description: 'What a scheduled fire does when all maxInstances runs of its job are busy (cluster-wide).',
  values: {
    SKIP: { value: 'skip', description: 'Recorded SKIPPED (the default).' },
    BUFFER_ONE: {
      value: 'buffer_one',
      description: 'At most one fire waits and starts when a slot frees; further ones are SKIPPED.',
    },
    BUFFER_ALL: {
      value: 'buffer_all',
      description: 'Fires wait and start in order, at most 100; beyond that SKIPPED.',
    },
    CANCEL_OTHER: {
      value: 'cancel_other',
      description:
        'The oldest run is aborted through its AbortSignal (recorded CANCELLED) and the fire starts when its slot frees.',
    },
  } as const,
});

export const ExclusionRef = builder.objectRef<Exclusion>('Exclusion').implement({
  description: 'A time the job does not fire; its fires then are recorded SKIPPED with the reason.',
  fields: (t) => ({
    date: t.string({ nullable: true, resolve: (e) => (e.kind === 'date' ? e.date : null) }),
    cron: t.string({ nullable: true, resolve: (e) => (e.kind === 'window' ? e.cron : null) }),
    durationMs: t.int({ nullable: true, resolve: (e) => (e.kind === 'window' ? e.durationMs : null) }),
    from: t.field({ type: 'DateTime', nullable: true, resolve: (e) => (e.kind === 'range' ? e.from : null) }),
    to: t.field({ type: 'DateTime', nullable: true, resolve: (e) => (e.kind === 'range' ? e.to : null) }),
    timezone: t.string({ nullable: true, resolve: (e) => (e.kind === 'range' ? null : e.timezone) }),
    note: t.exposeString('note', { nullable: true }),
  }),
});

export const ExclusionInputRef = builder.inputType('ExclusionInput', {
  description: 'Set exactly one of date, cron (with durationMs), from and to.',
  fields: (t) => ({
    date: t.string({ description: 'A local date YYYY-MM-DD: the whole day (a holiday).' }),
    cron: t.string({
      description: 'A window opens at each time of this cron expression (a maintenance window)…',
    }),
    durationMs: t.int({ description: '…and lasts this long (1 s to 31 days).' }),
    from: t.field({ type: 'DateTime', description: 'An absolute window, from (inclusive)…' }),
    to: t.field({ type: 'DateTime', description: '…to (exclusive).' }),
    timezone: t.string({ description: 'Zone of date and cron; default the service timezone.' }),
    note: t.string({ description: 'Why; shown in the skipped records.' }),
  }),
});
