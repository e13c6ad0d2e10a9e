/**
 * Fires outside the schedule: manual runs (runJobNow), retries and backfill fires. A retry or a
 * backfill fire is a stored `pending` row (see the outbox, backfill.ts), so it survives stop, crash
 * and replica death: any replica claims it when it is due. A retry whose slot is busy waits for it
 * (runner) instead of ending its chain; a backfill fire follows the overlap policy of its row.
 */
import type { SchedulerEvents } from '../events.ts';
import type { Execution } from '../execution.ts';
import type { Job } from '../job.ts';
import type { ExecutionEventType, ExecutionLog, JobStore } from '../ports.ts';
import { nextFireTime } from '../triggers/next-fire.ts';
import { finishedRow, notRunRow, runRow } from './execution-rows.ts';
import type { Outbox } from './outbox.ts';
import type { Runner } from './runner.ts';
import type { StoreClock } from './store-clock.ts';

export interface ExtraRunsOptions {
  store: JobStore;
  log: ExecutionLog;
  clock: StoreClock;
  runner: Runner;
  outbox: Outbox;
  instance: string;
  owner: () => string | undefined;
  slotLeaseMs: number;
  /** Longest time between two looks for pending retries written by another replica. */
  pollMs: number;
  events: SchedulerEvents;
  publishExecution: (type: ExecutionEventType, execution: Execution) => void;
}

const CLAIM_LIMIT = 500;
const LOOK_AGAIN_MS = 1_000;

export class ExtraRuns {
  private readonly o: ExtraRunsOptions;
  /** Store time of the next look at the pending retries. */
  private nextLook = Number.NEGATIVE_INFINITY;
  /** Retries stored here since the last look began (kept apart so a look in flight cannot drop them). */
  private noted = Number.POSITIVE_INFINITY;

  constructor(options: ExtraRunsOptions) {
    this.o = options;
  }

  /** A retry was stored here: look for it when it is due rather than at the next poll. */
  noteRetry(dueAt: number): void {
    this.noted = Math.min(this.noted, dueAt);
  }

  /** When the claim loop should look next (store time). */
  wakeAt(): number {
    return Math.min(this.nextLook, this.noted);
  }

  /** Claims the retries due by `horizon` and dispatches them. Returns how many. */
  async claimDue(now: number, horizon: number): Promise<number> {
    if (this.wakeAt() > horizon) return 0;
    // Notes so far are of rows already stored, so this look sees them; later ones stay noted.
    this.noted = Number.POSITIVE_INFINITY;
    // Until a look succeeds, the next one is at most a second away: no hammering of a log that is
    // down, and no stored row (a backfill's later fires have no note) left for a whole poll interval.
    this.nextLook = now + Math.min(this.o.pollMs, LOOK_AGAIN_MS);
    const rows = await this.o.log.claimPending(horizon, CLAIM_LIMIT, this.o.instance, this.o.owner());
    try {
      if (rows.length === CLAIM_LIMIT) this.nextLook = now;
      else {
        const next = await this.o.log.nextPendingAt();
        this.nextLook = Math.min(next ?? Number.POSITIVE_INFINITY, now + this.o.pollMs);
      }
    } catch (error) {
      // The rows claimed are ours now (running): they run all the same.
      this.o.events.emit('error', { error, during: 'claim retries' });
    }
    if (rows.length === 0) return 0;
    const ids = [...new Set(rows.map((row) => row.jobId))];
    const jobs = new Map<string, Job | null>();
    await Promise.all(ids.map(async (id) => jobs.set(id, await this.o.store.get(id))));
    const runs: { job: Job; execution: Execution }[] = [];
    for (const row of rows) {
      const job = jobs.get(row.jobId) ?? null;
      // A job removed (or paused) during the backoff is not retried, nor the rest of its backfill; a
      // changed one runs with its new definition.
      const run = row.triggerKind === 'backfill' ? 'backfill run' : 'retry';
      const reason =
        job === null
          ? `the job was removed before its ${run}`
          : job.paused
            ? `the job was paused before its ${run}`
            : null;
      if (reason === null && job) runs.push({ job, execution: { ...row, dueAt: row.dueAt ?? now } });
      else {
        const skipped = finishedRow(row, 'skipped', now, {
          error: { message: reason ?? '', stack: null },
          result: null,
        });
        this.o.outbox.push({ row: skipped, retry: null });
      }
    }
    this.o.runner.schedule(runs);
    return runs.length;
  }

  /**
   * Runs the job once now. Returns its row: `running`, or `skipped` (with finishedAt) when its
   * maxInstances are all busy; null when a row for this instant exists already.
   */
  async runNow(job: Job): Promise<Execution | null> {
    const dueAt = this.o.clock.now();
    // Due now; recorded under an instant that is not a nominal fire (it may be a millisecond later).
    const now = manualInstant(job, dueAt);
    const owner = this.o.owner();
    const ctx = { instance: this.o.instance, owner, now };
    const execution = runRow(job, { scheduledFor: now, dueAt }, 'manual', 1, ctx);
    const slot = { jobId: job.id, executionId: execution.id };
    // A fire of the job claimed here may hold its slot ahead of its due time: a manual run comes
    // first, as it would have before that fire asked (the fire asks again when due).
    await this.o.runner.giveSlotsBack(job.id);
    const held = await this.o.store.acquireSlot(slot, job.maxInstances, this.o.slotLeaseMs, owner);
    const row = held
      ? execution
      : notRunRow(job, now, 'skipped', `maxInstances (${job.maxInstances}) were all busy`, 'manual', 1, {
          ...ctx,
          id: execution.id,
        });
    let stored: Set<string>;
    try {
      stored = await this.o.log.insert([row]);
    } catch (error) {
      if (held) await this.o.runner.release(slot);
      throw error;
    }
    if (!stored.has(row.id)) {
      if (held) await this.o.runner.release(slot);
      this.o.events.emit('duplicate', { jobId: job.id, scheduledFor: now, attempt: 1 });
      return null;
    }
    if (held) this.o.runner.startHeld(job, execution);
    else this.o.publishExecution('skipped', row);
    return row;
  }
}

/**
 * The instant a manual run is recorded under: now, or the next millisecond that is not a nominal
 * fire of the job. (jobId, scheduledFor, attempt) is the fire key, and a manual run at a fire's
 * exact millisecond would take the key the scheduled fire needs for its record.
 */
function manualInstant(job: Job, now: number): number {
  let at = now;
  for (let tries = 0; tries < 16 && nextFireTime(job.trigger, at - 1) === at; tries++) at++;
  return at;
}
