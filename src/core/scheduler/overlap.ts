/**
 * How a fire of a job asks for its maxInstances slot, by the job's overlap policy (job.ts
 * OverlapPolicy). Only scheduled fires follow the policy: retries and backfill fires always wait
 * for a slot (runner.ts), manual runs are SKIPPED when all are busy (extra-runs.ts).
 */
import type { Execution } from '../execution.ts';
import type { Job } from '../job.ts';
import { MAX_BUFFERED } from '../job.ts';

export interface QueuePolicy {
  /** How many fires of the job may wait at once, cluster-wide. */
  limit: number;
  cancelOldest: boolean;
}

/** null: the fire is SKIPPED when all slots are busy (policy skip), or it is not a scheduled fire. */
export function queuePolicy(job: Job, execution: Execution): QueuePolicy | null {
  if (execution.triggerKind !== 'scheduled') return null;
  switch (job.overlap ?? 'skip') {
    case 'skip':
      return null;
    case 'buffer_one':
      return { limit: 1, cancelOldest: false };
    case 'buffer_all':
      return { limit: MAX_BUFFERED, cancelOldest: false };
    case 'cancel_other':
      // Each waiter has one holder marked for it, so at most maxInstances wait.
      return { limit: job.maxInstances, cancelOldest: true };
  }
}

export function skippedMessage(job: Job, queued: QueuePolicy | null): string {
  const busy = `maxInstances (${job.maxInstances}) were all busy at the due time`;
  if (queued === null) return busy;
  return `${busy} and ${queued.limit} fire(s) already waited for a slot (overlap ${(job.overlap ?? 'skip').toUpperCase()})`;
}

export const CANCELLED_MESSAGE =
  'cancelled: a newer fire of the job took its slot (overlap CANCEL_OTHER); its AbortSignal was aborted';
