/**
 * How a fire of a job asks for its maxInstances slot, by the job's overlap policy (job.ts
 * OverlapPolicy). Only scheduled fires follow the policy: retries and backfill fires always wait
 * for a slot (runner.ts), manual runs are SKIPPED when all are busy (extra-runs.ts).
 */
import type { Execution } from '../execution.ts';
import type { Job } from '../job.ts';
import { MAX_BUFFERED } from '../job.ts';
import type { JobStore, QueuedSlotAnswer, Slot } from '../ports.ts';

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

export interface SlotAsk {
  slot: Slot;
  maxInstances: number;
  /** The fire's nominal time: its place in the job's queue. */
  order: number;
  policy: QueuePolicy | null;
}

/**
 * Plain requests (acquireSlots) and queued ones (acquireQueuedSlots) in one round trip each;
 * answers in the order asked, and the executions the queued ones marked for cancellation.
 */
export async function askSlots(
  store: JobStore,
  asks: SlotAsk[],
  leaseMs: number,
  owner: string | undefined,
): Promise<{ answers: QueuedSlotAnswer['outcome'][]; cancel: string[] }> {
  const plain: number[] = [];
  const queued: number[] = [];
  asks.forEach((ask, i) => {
    (ask.policy === null ? plain : queued).push(i);
  });
  const at = (i: number) => asks[i] as SlotAsk;
  const [held, waiting] = await Promise.all([
    plain.length === 0
      ? []
      : store.acquireSlots(
          plain.map((i) => ({ slot: at(i).slot, maxInstances: at(i).maxInstances })),
          leaseMs,
          owner,
        ),
    queued.length === 0
      ? []
      : store.acquireQueuedSlots(
          queued.map((i) => {
            const { slot, maxInstances, order, policy } = at(i);
            return { slot, maxInstances, order, ...(policy as QueuePolicy) };
          }),
          leaseMs,
          owner,
        ),
  ]);
  const answers: QueuedSlotAnswer['outcome'][] = [];
  plain.forEach((i, k) => {
    answers[i] = held[k] ? 'acquired' : 'full';
  });
  queued.forEach((i, k) => {
    answers[i] = waiting[k]?.outcome ?? 'full';
  });
  return { answers, cancel: waiting.flatMap((answer) => answer.cancel) };
}
