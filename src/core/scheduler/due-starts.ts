/**
 * Starts at the due instants: one timer per instant, whose runs start together. A run holding its
 * slot already (taken ahead, slot-ahead.ts) starts at once; the others ask for theirs in one call
 * for the instant and start on the answer, or wait, or end SKIPPED by their overlap policy. The
 * runs and what becomes of them are the runner's (runner.ts): this is only the path to a start.
 */
import { ReplicaExpiredError } from '../errors.ts';
import type { SchedulerEvents } from '../events.ts';
import type { JobStore, QueuedSlotAnswer, Slot } from '../ports.ts';
import { nextTurn } from './next-turn.ts';
import { askSlots, queuePolicy, skippedMessage } from './overlap.ts';
import { type Run, waitsForSlot } from './run.ts';
import type { StoreClock } from './store-clock.ts';

/** What the runner does with a run, as the start path needs it. */
export interface RunMoves {
  /** Calls the handler now; returns the follow-up to run after the instant's starts. */
  begin(run: Run): () => void;
  notRun(run: Run, status: 'skipped' | 'missed', message: string): void;
  waitForSlot(run: Run): void;
  slotUnavailable(run: Run, error: unknown): void;
  end(run: Run): void;
  cancel(executionIds: string[]): void;
  release(slot: Slot): Promise<void>;
  /** Slots held back for a herd go back now (null when none are). */
  releaseHeld(): Promise<void> | null;
}

export interface DueStartsOptions {
  store: JobStore;
  clock: StoreClock;
  owner: () => string | undefined;
  rejoin: () => Promise<void>;
  events: SchedulerEvents;
  slotLeaseMs: number;
  runs: RunMoves;
}

/**
 * Runs the follow-ups of an instant's starts (their `started` events, result wiring) after the
 * I/O the handlers began: a herd of webhooks has its requests written before 1,000 events are
 * published.
 */
function afterWrites(followUps: (() => void)[]): void {
  if (followUps.length === 0) return;
  nextTurn(() => {
    for (const followUp of followUps) followUp();
  });
}

export class DueStarts {
  private readonly o: DueStartsOptions;
  private readonly groups = new Map<number, Run[]>();
  /** Job id -> the slot request (and start) in flight for its latest group. */
  private readonly acquiring = new Map<string, Promise<void>>();

  constructor(options: DueStartsOptions) {
    this.o = options;
  }

  /** One timer per due instant: that instant's runs take their slots in one call and start together. */
  enqueue(run: Run, startAt: number): void {
    let group = this.groups.get(startAt);
    if (!group) {
      const members: Run[] = [];
      group = members;
      this.groups.set(startAt, members);
      // Never synchronous (StoreClock.at), so the run below is in the group before it can start.
      this.o.clock.at(startAt, () => {
        this.groups.delete(startAt);
        void this.startGroup(members);
      });
    }
    const members = group;
    members.push(run);
    run.cancelStart = () => {
      const at = members.indexOf(run);
      if (at >= 0) members.splice(at, 1);
    };
  }

  private async startGroup(group: Run[]): Promise<void> {
    // Slot requests made ahead are long answered by the due time, unless the store is slow.
    const asked = new Set<Promise<void>>();
    for (const run of group) if (run.ahead) asked.add(run.ahead);
    if (asked.size > 0) await Promise.all(asked);
    const now = this.o.clock.now();
    const runs: Run[] = [];
    const held: (() => void)[] = [];
    for (const run of group) {
      if (run.phase !== 'waiting') continue;
      // Started this late (a write that took several rounds, a stalled process): the grace rule
      // that decided the fire at claim time decides it again now.
      const grace = run.job.misfireGraceTimeMs;
      const late = now - (run.execution.dueAt ?? now);
      if (run.execution.triggerKind === 'scheduled' && grace !== null && late > grace) {
        this.o.runs.notRun(
          run,
          'missed',
          `missed: started ${late} ms after its due time, past the misfire grace time of ${grace} ms`,
        );
      } else if (run.held) {
        run.cancelStart = null;
        held.push(this.o.runs.begin(run));
      } else runs.push(run);
    }
    // Handlers holding their slots start first, back to back; events and the rest come after.
    afterWrites(held);
    if (runs.length === 0) return;
    for (const run of runs) run.cancelStart = null;
    // A job whose previous run is still taking its slot here (a lagging loop makes due instants
    // bunch up) asks after that run started, and after a quick one has given its slot back:
    // otherwise our request overtakes that release and the fire is SKIPPED for nothing.
    const earlier = new Set<Promise<void>>();
    for (const run of runs) {
      const pending = this.acquiring.get(run.job.id);
      if (pending) earlier.add(pending);
    }
    let settled: () => void = () => {};
    const mine = new Promise<void>((resolve) => {
      settled = resolve;
    });
    for (const run of runs) this.acquiring.set(run.job.id, mine);
    try {
      await this.acquireAndStart(runs, earlier);
    } finally {
      settled();
      for (const run of runs) if (this.acquiring.get(run.job.id) === mine) this.acquiring.delete(run.job.id);
    }
  }

  private async acquireAndStart(runs: Run[], earlier: Set<Promise<void>>): Promise<void> {
    if (earlier.size > 0) {
      await Promise.all(earlier);
      await new Promise<void>((resolve) => this.o.clock.local.setTimeout(resolve, 0));
    }
    const held = this.o.runs.releaseHeld();
    if (held) await held;
    let answers: QueuedSlotAnswer['outcome'][];
    const owner = this.o.owner();
    const policies = runs.map((run) => queuePolicy(run.job, run.execution));
    try {
      const asks = runs.map((run, i) => ({
        slot: run.slot,
        maxInstances: run.job.maxInstances,
        order: run.execution.scheduledFor,
        policy: policies[i] ?? null,
      }));
      const asked = await askSlots(this.o.store, asks, this.o.slotLeaseMs, owner);
      this.o.runs.cancel(asked.cancel);
      answers = asked.answers;
    } catch (error) {
      if (error instanceof ReplicaExpiredError) {
        await this.o.rejoin().catch(() => {});
        if (this.o.owner() === owner) {
          // The life ran out unreaped and is revived: nothing was taken over; try again.
          for (const run of runs) this.o.runs.slotUnavailable(run, error);
        } else {
          // Reaped: the cluster requeued these rows for a live replica; they are not ours.
          for (const run of runs) if (run.phase === 'waiting') this.o.runs.end(run);
        }
        return;
      }
      this.o.events.emit('error', { error, during: 'acquire slots' });
      for (const run of runs) this.o.runs.slotUnavailable(run, error);
      return;
    }
    const followUps: (() => void)[] = [];
    runs.forEach((run, i) => {
      const answer = answers[i];
      if (run.phase !== 'waiting') {
        // Abandoned while the slot request was out: give the slot (or the place) back.
        if (answer !== 'full') void this.o.runs.release(run.slot);
      } else if (answer === 'acquired') {
        run.queued = false;
        followUps.push(this.o.runs.begin(run));
      } else if (answer === 'queued') {
        // Waits in the job's queue; asking again keeps its place and takes the slot when it is first.
        run.queued = true;
        this.o.runs.waitForSlot(run);
      } else if (waitsForSlot(run.execution)) {
        // A retry waits for a slot instead of ending its chain; a backfill fire, asked for by name, too.
        this.o.runs.waitForSlot(run);
      } else {
        this.o.runs.notRun(run, 'skipped', skippedMessage(run.job, policies[i] ?? null));
      }
    });
    // Handlers of one instant start back to back; their events and bookkeeping come after.
    afterWrites(followUps);
  }
}
