/** The maxInstances slots and wait queues of the JobStore port (job-store.ts). */
/** A running execution holding one of its job's maxInstances slots. */
export interface Slot {
  jobId: string;
  executionId: string;
}

export interface SlotRequest {
  slot: Slot;
  maxInstances: number;
}

/**
 * A slot request that may wait in the job's queue (overlap policies buffer_one, buffer_all,
 * cancel_other). The queue is the store's, so it is cluster-wide: fires of one job claimed by
 * different replicas wait in one order (`order`, the nominal time) under one bound (`limit`).
 */
export interface QueuedSlotRequest extends SlotRequest {
  order: number;
  limit: number;
  /** Mark the oldest unmarked holder for cancellation, one per waiter (cancel_other). */
  cancelOldest: boolean;
}

/**
 * - `acquired`: the slot is held.
 * - `queued`: the request waits in the queue (its place is leased like a slot: ask again within
 *   the lease to keep it); a queued request is first in line when a slot frees.
 * - `full`: not held and the queue is full.
 * `cancel`: executions of holders marked for cancellation by this request (their holders see the
 * mark when they renew their slots).
 */
export interface QueuedSlotAnswer {
  outcome: 'acquired' | 'queued' | 'full';
  cancel: string[];
}
