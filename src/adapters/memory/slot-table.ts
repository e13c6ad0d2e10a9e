/**
 * The maxInstances slots of the memory job store (job-store.ts): per job the held slots and their
 * leases, the reap index that outlives a job's removal, which life holds each slot, and the wait
 * queues (slot-queues.ts). The store checks the caller's life first; times come from its clock.
 */
import type { QueuedSlotAnswer, QueuedSlotRequest, Slot } from '../../core/ports.ts';
import { ScoreIndex } from './score-index.ts';
import { SlotQueues } from './slot-queues.ts';

function slotKey(slot: Slot): string {
  return `${slot.jobId}\u0000${slot.executionId}`;
}

export class SlotTable {
  /** Job id -> execution id -> lease expiry: the held maxInstances slots. */
  private readonly running = new Map<string, Map<string, number>>();
  /** Slot key -> lease expiry, for reaping. */
  private readonly leases = new ScoreIndex();
  private readonly slots = new Map<string, Slot>();
  private readonly owners = new Map<string, string>();
  private readonly queues = new SlotQueues();

  /** Take one of the job's slots (false when all are held); expired slots do not count. */
  acquire(slot: Slot, maxInstances: number, expiry: number, now: number, owner?: string): boolean {
    let held = this.running.get(slot.jobId);
    if (!held) {
      held = new Map();
      this.running.set(slot.jobId, held);
    }
    // Expired slots stop counting here but stay in the reap index until reaped.
    for (const [executionId, until] of held) if (until <= now) held.delete(executionId);
    if (!held.has(slot.executionId) && held.size >= maxInstances) return false;
    held.set(slot.executionId, expiry);
    this.enter(slot, expiry, owner);
    return true;
  }

  acquireQueued(request: QueuedSlotRequest, expiry: number, now: number, owner?: string): QueuedSlotAnswer {
    const { slot, maxInstances } = request;
    this.queues.purge(slot.jobId, now);
    const held = this.running.get(slot.jobId);
    for (const [executionId, until] of held ?? []) if (until <= now) held?.delete(executionId);
    const holds = held?.has(slot.executionId) ?? false;
    let outcome: QueuedSlotAnswer['outcome'] = 'full';
    if (holds || ((held?.size ?? 0) < maxInstances && this.queues.mayTake(slot.jobId, slot.executionId))) {
      this.queues.forget(slot.jobId, slot.executionId);
      this.acquire(slot, maxInstances, expiry, now, owner);
      outcome = 'acquired';
    } else if (this.queues.offer(slot.jobId, slot.executionId, request.order, request.limit, expiry)) {
      // Entered with the slots, so heldSlots and the reapers account for the waiting row.
      this.enter(slot, expiry, owner);
      outcome = 'queued';
    }
    const cancel =
      outcome === 'queued' && request.cancelOldest
        ? this.queues.markOldest(slot.jobId, [...(held?.keys() ?? [])])
        : [];
    return { outcome, cancel };
  }

  /** Extends the leases; returns the slots a cancel_other fire marked. */
  renew(slots: Slot[], expiry: number): Slot[] {
    for (const slot of slots) {
      const key = slotKey(slot);
      if (this.leases.has(key)) this.leases.set(key, expiry);
      const held = this.running.get(slot.jobId);
      if (held?.has(slot.executionId)) held.set(slot.executionId, expiry);
    }
    return slots.filter((slot) => this.queues.isMarked(slot.executionId));
  }

  release(slots: Slot[]): void {
    for (const slot of slots) {
      const key = slotKey(slot);
      this.leases.delete(key);
      this.slots.delete(key);
      this.owners.delete(key);
      this.queues.forget(slot.jobId, slot.executionId);
      const held = this.running.get(slot.jobId);
      held?.delete(slot.executionId);
      if (held?.size === 0) this.running.delete(slot.jobId);
    }
  }

  held(slots: Slot[], now: number): boolean[] {
    // The reap index, not `running`: it outlives a removal of the job, as the Redis store's does.
    return slots.map((slot) => (this.leases.score(slotKey(slot)) ?? Number.NEGATIVE_INFINITY) > now);
  }

  reapExpired(limit: number, now: number): Slot[] {
    const reaped: Slot[] = [];
    for (let top = this.leases.peek(); top && top.score <= now && reaped.length < limit; ) {
      const slot = this.slots.get(top.key) as Slot;
      this.release([slot]);
      reaped.push(slot);
      top = this.leases.peek();
    }
    return reaped;
  }

  /** The slots (and places) the life holds. */
  ownedBy(lifeId: string): Slot[] {
    const slots: Slot[] = [];
    for (const [key, owner] of this.owners) if (owner === lifeId) slots.push(this.slots.get(key) as Slot);
    return slots;
  }

  /** The job was removed: its slots stop counting, but stay in the reap index (their rows are settled). */
  forgetJob(jobId: string): void {
    this.running.delete(jobId);
  }

  private enter(slot: Slot, expiry: number, owner: string | undefined): void {
    const key = slotKey(slot);
    this.leases.set(key, expiry);
    this.slots.set(key, { jobId: slot.jobId, executionId: slot.executionId });
    if (owner !== undefined) this.owners.set(key, owner);
  }
}
