/** The enums of a job's schedule policies (issue 12), shared by the Job type and the job inputs. */
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
