/**
 * Slots going back to the store, and the runs here waiting for a slot of their job. The slots of
 * runs that end in one turn of the event loop go back in one call: a herd's answers arrive in many
 * I/O callbacks of one turn, and each would otherwise pay its own store call. A run that found its
 * job's slots busy is woken as soon as one comes back here, rather than at its next poll: otherwise
 * it waited the whole interval, and fires due meanwhile found the slot busy in turn. While a herd
 * of runs is in flight the returns wait for it to thin out, up to a bound (herd-hold.ts), except
 * a slot a run here waits for; before a run here asks for a slot, what is held goes back.
 */
import type { SchedulerEvents } from '../events.ts';
import type { JobStore, Slot } from '../ports.ts';
import type { HerdHold } from './herd-hold.ts';
import { nextTurn } from './next-turn.ts';
import type { Run } from './run.ts';

export interface SlotReturnsOptions {
  store: Pick<JobStore, 'releaseSlots'>;
  events: SchedulerEvents;
  /** A waiting run whose job got a slot back here: ask for it again now. */
  wake: (run: Run) => void;
  /** Holds returns while a herd is in flight. */
  hold?: HerdHold;
}

export class SlotReturns {
  private readonly o: SlotReturnsOptions;
  private pending: Slot[] = [];
  private scheduled = false;
  private readonly waiters = new Map<string, Set<Run>>();

  constructor(options: SlotReturnsOptions) {
    this.o = options;
  }

  /** Given back after this turn's I/O callbacks, with the others ending in the same turn. */
  soon(slot: Slot): void {
    this.pending.push(slot);
    if (this.scheduled) return;
    if (!this.waiters.has(slot.jobId) && this.o.hold?.holds(() => void this.releaseHeld())) return;
    this.scheduled = true;
    nextTurn(() => {
      this.scheduled = false;
      void this.releaseHeld();
    });
  }

  /** The slots waiting to go back go now (a run here is about to ask for slots). */
  releaseHeld(): Promise<void> {
    this.o.hold?.cancel();
    return this.now(...this.pending.splice(0));
  }

  /** Whether slots wait to go back. */
  get holding(): boolean {
    return this.pending.length > 0;
  }

  /** Gives the slots back now, then wakes the runs here waiting for their jobs' slots. */
  async now(...slots: Slot[]): Promise<void> {
    if (slots.length === 0) return;
    try {
      await this.o.store.releaseSlots(slots);
    } catch (error) {
      // The lease runs out on its own; the slot comes back then.
      this.o.events.emit('error', { error, during: 'release slot' });
      return;
    }
    if (this.waiters.size === 0) return;
    for (const jobId of new Set(slots.map((slot) => slot.jobId))) {
      const waiting = this.waiters.get(jobId);
      if (!waiting) continue;
      this.waiters.delete(jobId);
      for (const run of waiting) this.o.wake(run);
    }
  }

  /** The job's slots waiting for the end of this turn go back now (a manual run asks next). */
  async ofJob(jobId: string): Promise<void> {
    const ended = this.pending.filter((slot) => slot.jobId === jobId);
    if (ended.length === 0) return;
    const others = this.pending.filter((slot) => slot.jobId !== jobId);
    this.pending.splice(0, this.pending.length, ...others);
    await this.now(...ended);
  }

  /** `run` waits for a slot of its job: wake it when one comes back here. */
  waitFor(run: Run): void {
    let waiting = this.waiters.get(run.job.id);
    if (!waiting) {
      waiting = new Set();
      this.waiters.set(run.job.id, waiting);
    }
    waiting.add(run);
  }

  /** `run` no longer waits (it starts, or it ends). */
  forget(run: Run): void {
    this.waiters.get(run.job.id)?.delete(run);
  }
}
