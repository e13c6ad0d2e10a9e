/**
 * How a fire of a job asks for its maxInstances slot, by its overlap policy (job.ts OverlapPolicy):
 * a scheduled fire follows its job's, a backfill fire its backfill's (stored with its row). Retries
 * always wait for a slot (runner.ts), manual runs are SKIPPED when all are busy (extra-runs.ts).
 */
import type { Execution } from '../execution.ts';
import type { Job, OverlapPolicy } from '../job.ts';
import { MAX_BUFFERED } from '../job.ts';
import type { JobStore, QueuedSlotAnswer, Slot } from '../ports.ts';

export interface QueuePolicy {
  /** How many fires of the job may wait at once, cluster-wide. */
  limit: number;
  cancelOldest: boolean;
  /** The policy as the SKIPPED message names it. */
  label: string;
}

/** The overlap policy the run follows; null: a retry or a manual run (their own rules). */
export function runOverlap(job: Job, execution: Execution): OverlapPolicy | null {
  if (execution.triggerKind === 'scheduled') return job.overlap ?? 'skip';
  // Rows stored before backfills had a policy waited, as buffer_all does.
  if (execution.triggerKind === 'backfill') return execution.overlap ?? 'buffer_all';
  return null;
}

/**
 * null: the fire is SKIPPED when all slots are busy (policy skip), or it waits outside the queue
 * (a retry, a backfill fire under buffer_all: run.ts waitsForSlot), or it is a manual run.
 */
export function queuePolicy(job: Job, execution: Execution): QueuePolicy | null {
  const overlap = runOverlap(job, execution);
  if (overlap === null || overlap === 'skip') return null;
  const backfill = execution.triggerKind === 'backfill';
  // A backfill asked for every fire of its window: under buffer_all none is SKIPPED for a full queue.
  if (backfill && overlap === 'buffer_all') return null;
  const label = `${backfill ? 'backfill overlap' : 'overlap'} ${overlap.toUpperCase()}`;
  switch (overlap) {
    case 'buffer_one':
      return { limit: 1, cancelOldest: false, label };
    case 'buffer_all':
      return { limit: MAX_BUFFERED, cancelOldest: false, label };
    case 'cancel_other':
      // Each waiter has one holder marked for it, so at most maxInstances wait.
      return { limit: job.maxInstances, cancelOldest: true, label };
  }
}

export function skippedMessage(job: Job, queued: QueuePolicy | null): string {
  const busy = `maxInstances (${job.maxInstances}) were all busy at the due time`;
  if (queued === null) return busy;
  return `${busy} and ${queued.limit} fire(s) already waited for a slot (${queued.label})`;
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
            const { limit, cancelOldest } = policy as QueuePolicy;
            return { slot, maxInstances, order, limit, cancelOldest };
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
