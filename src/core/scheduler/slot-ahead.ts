/**
 * Slots taken ahead of the due time. A fire is claimed up to the lookahead before it is due; when
 * its job's slot is free then, the fire takes it at once (one acquireSlots call for the batch,
 * fenced by the replica's life like any other), so at the due instant its handler starts with no
 * round trip to the store: a herd of 1,000 fires due together no longer waits behind its own
 * 1,000-slot request. A fire whose slot is still busy asks again when due, as before (the previous
 * run may end by then). Only plain scheduled fires (overlap SKIP) take theirs ahead: queued ones
 * keep their place in the job's queue by asking when due, and retries and backfill fires (which
 * follow their own rules, overlap.ts) ask when due.
 */
import type { SchedulerEvents } from '../events.ts';
import type { JobStore, Slot } from '../ports.ts';
import { queuePolicy } from './overlap.ts';
import type { Run } from './run.ts';

export interface SlotAheadOptions {
  store: JobStore;
  slotLeaseMs: number;
  owner: () => string | undefined;
  events: SchedulerEvents;
  /** Gives slots back; never throws. */
  release: (slot: Slot) => Promise<void>;
}

export class SlotAhead {
  private readonly o: SlotAheadOptions;

  constructor(options: SlotAheadOptions) {
    this.o = options;
  }

  /** Whether a waiting run may take its slot before `now` reaches its due time. */
  static eligible(run: Run, now: number): boolean {
    return (
      run.phase === 'waiting' &&
      run.execution.triggerKind === 'scheduled' &&
      (run.execution.dueAt ?? now) > now &&
      queuePolicy(run.job, run.execution) === null
    );
  }

  /** Asks for the runs' slots now; each run learns `held` before its due timer looks at it. */
  take(runs: Run[]): void {
    if (runs.length === 0) return;
    const asked = this.o.store.acquireSlots(
      runs.map((run) => ({ slot: run.slot, maxInstances: run.job.maxInstances })),
      this.o.slotLeaseMs,
      this.o.owner(),
    );
    const ahead = asked.then(
      (answers) => {
        runs.forEach((run, i) => {
          run.ahead = null;
          if (answers[i] !== true) return;
          // Ended meanwhile (dropped, abandoned, given back): the slot goes back.
          if (run.phase === 'waiting') run.held = true;
          else if (run.phase === 'ended') void this.o.release(run.slot);
        });
      },
      (error: unknown) => {
        // Nothing taken (a fenced life, a store away): each asks again when due, as without this.
        for (const run of runs) run.ahead = null;
        this.o.events.emit('error', { error, during: 'acquire slots ahead' });
      },
    );
    for (const run of runs) run.ahead = ahead;
  }

  /**
   * The run keeps its fire but not its slot (its job changed, or a manual run wants the slot): it
   * asks again when due. Resolves once the slot is back.
   */
  async giveBack(run: Run): Promise<void> {
    if (run.ahead) await run.ahead;
    if (!run.held || run.phase !== 'waiting') return;
    run.held = false;
    await this.o.release(run.slot);
  }
}
