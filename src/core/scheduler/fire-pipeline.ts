/**
 * The path of a claimed batch, as named steps: plan -> record -> commit -> dispatch. Each step's
 * failure is handled here, in one place:
 * - plan: a job whose trigger cannot be planned (or that the store could not decode) is
 *   quarantined, paused with a reason; the others go on.
 * - record: retried with the same row ids (insert is idempotent per id); if it still fails the
 *   claims are handed back unchanged and the ids kept, so a later round that retakes the same
 *   fires writes the same rows instead of orphaning the first ones.
 * - commit: retried; if it still fails the fires are recorded already, so they are dispatched
 *   anyway, and the intended schedule is kept so that when the claim is retaken, planning goes on
 *   from it instead of meeting its own rows as duplicates.
 * - dispatch: rows whose fire key was already stored under another id are someone else's.
 */
import type { SchedulerEvents } from '../events.ts';
import type { Execution } from '../execution.ts';
import { planFires } from '../fire-plan.ts';
import type { Job } from '../job.ts';
import type {
  BusEvent,
  Claim,
  ClaimBatch,
  CommitOutcome,
  CommitRequest,
  ExecutionEventType,
  ExecutionLog,
  JobStore,
  QuarantineRequest,
} from '../ports.ts';
import type { Logger } from '../task.ts';
import { coveringRow, fireKey, notRunRow, runRow } from './execution-rows.ts';
import type { Runner } from './runner.ts';
import type { StoreClock } from './store-clock.ts';

export interface PipelineOptions {
  store: JobStore;
  log: ExecutionLog;
  clock: StoreClock;
  runner: Runner;
  instance: string;
  logger: Logger;
  events: SchedulerEvents;
  publish: (event: BusEvent) => void;
  publishExecution: (type: ExecutionEventType, execution: Execution) => void;
}

/** Attempts of a store write within one round, and the pause before each further one. */
const WRITE_BACKOFF_MS = [0, 50, 250];
/** Ids of rows whose insert may have landed, kept for the round that retakes their fires. */
const MAX_REMEMBERED_IDS = 100_000;

interface Uncommitted {
  /** The nextRunTime the store still holds for the job. */
  from: number | null;
  nextRunTime: number | null;
  dueAt: number | null;
}

export class FirePipeline {
  private readonly o: PipelineOptions;
  private readonly rememberedIds = new Map<string, string>();
  private readonly uncommitted = new Map<string, Uncommitted>();

  constructor(options: PipelineOptions) {
    this.o = options;
  }

  /** Decides, records and dispatches a claimed batch. Returns how many runs were dispatched. */
  async process(batch: ClaimBatch, horizon: number): Promise<number> {
    const now = batch.now;
    const ctx = (jobId: string, scheduledFor: number, attempt: number) => ({
      instance: this.o.instance,
      now,
      id: this.rememberedIds.get(fireKey(jobId, scheduledFor, attempt)),
    });
    const quarantine: { request: QuarantineRequest; job: Job | null }[] = batch.poisoned.map((p) => ({
      request: { jobId: p.jobId, token: p.token, reason: `the stored job could not be read: ${p.error}`, at: now },
      job: null,
    }));
    const rows: Execution[] = [];
    const runs: { job: Job; execution: Execution }[] = [];
    const commits: CommitRequest[] = [];
    const claims: Claim[] = [];
    for (const claim of batch.claims) {
      const job = this.continueFrom(claim.job);
      let plan: ReturnType<typeof planFires>;
      try {
        plan = planFires(job, now, horizon);
      } catch (error) {
        const reason = `its trigger could not be planned: ${error instanceof Error ? error.message : String(error)}`;
        quarantine.push({ request: { jobId: job.id, token: claim.token, reason, at: now }, job });
        continue;
      }
      const runAt = plan.fires.find((fire) => fire.decision === 'run')?.scheduledFor ?? null;
      for (const range of plan.covered) rows.push(coveringRow(job, range, runAt, ctx(job.id, range.first, 1)));
      for (const fire of plan.fires) {
        const c = ctx(job.id, fire.scheduledFor, 1);
        if (fire.decision === 'missed') {
          const late = now - fire.dueAt;
          rows.push(notRunRow(job, fire.scheduledFor, 'missed', lateMessage(late, job), 'scheduled', 1, c));
        } else {
          const execution = runRow(job, fire, 'scheduled', 1, c);
          rows.push(execution);
          runs.push({ job, execution });
        }
      }
      claims.push(claim);
      commits.push({
        jobId: job.id,
        token: claim.token,
        claimedNextRunTime: claim.job.nextRunTime,
        nextRunTime: plan.nextRunTime,
        dueAt: plan.dueAt,
      });
    }
    if (quarantine.length > 0) await this.quarantine(quarantine);
    if (commits.length === 0) return 0;

    let stored: Set<string>;
    try {
      stored = await this.retrying('record', () => this.o.log.insert(rows));
    } catch (error) {
      this.remember(rows);
      await this.handBack(claims);
      throw error;
    }
    for (const row of rows) this.rememberedIds.delete(fireKey(row.jobId, row.scheduledFor, row.attempt));
    await this.commit(commits, claims, now);

    for (const row of rows) {
      if (!stored.has(row.id)) {
        this.o.events.emit('duplicate', { jobId: row.jobId, scheduledFor: row.scheduledFor, attempt: row.attempt });
      } else if (row.status === 'missed') {
        this.o.publishExecution('missed', row);
      }
    }
    const mine = runs.filter((run) => stored.has(run.execution.id));
    this.o.runner.schedule(mine);
    return mine.length;
  }

  /** A claim retaken after our commit failed: plan from where the recorded fires left the schedule. */
  private continueFrom(job: Job): Job {
    const memo = this.uncommitted.get(job.id);
    if (!memo) return job;
    this.uncommitted.delete(job.id);
    if (memo.from !== job.nextRunTime) return job; // the schedule moved since: the memo is stale
    return { ...job, nextRunTime: memo.nextRunTime, dueAt: memo.dueAt };
  }

  private async commit(commits: CommitRequest[], claims: Claim[], now: number): Promise<void> {
    let outcomes: CommitOutcome[];
    try {
      outcomes = await this.retrying('commit', () => this.o.store.commit(commits));
    } catch {
      for (const request of commits) {
        const claim = claims[commits.indexOf(request)] as Claim;
        this.uncommitted.set(request.jobId, {
          from: claim.job.nextRunTime,
          nextRunTime: request.nextRunTime,
          dueAt: request.dueAt,
        });
      }
      this.o.logger.warn('committing the next run times failed; the claims will be retaken', {
        jobs: commits.length,
      });
      return;
    }
    outcomes.forEach((outcome, i) => {
      const request = commits[i] as CommitRequest;
      const claim = claims[i] as Claim;
      if (outcome === 'stale') {
        // Expired (or applied by a call whose reply was lost): if it comes back, go on from here.
        this.uncommitted.set(request.jobId, {
          from: claim.job.nextRunTime,
          nextRunTime: request.nextRunTime,
          dueAt: request.dueAt,
        });
      }
      if (outcome !== 'committed') this.o.events.emit('commit', { jobId: request.jobId, outcome });
      if (outcome === 'committed' && request.nextRunTime === null) {
        const job = { ...claim.job, nextRunTime: null, dueAt: null };
        this.o.publish({ stream: 'job', type: 'finished', at: now, jobId: request.jobId, job });
      }
    });
  }

  private async quarantine(items: { request: QuarantineRequest; job: Job | null }[]): Promise<void> {
    for (const { request } of items) {
      this.o.logger.error('job quarantined: paused, it cannot be fired', {
        jobId: request.jobId,
        reason: request.reason,
      });
      this.o.events.emit('error', { error: new Error(request.reason), during: `planning job ${request.jobId}` });
    }
    try {
      await this.o.store.quarantine(items.map((item) => item.request));
    } catch (error) {
      // The claims expire and come back; quarantine is tried again then.
      this.o.events.emit('error', { error, during: 'quarantine' });
      return;
    }
    for (const { request, job } of items) {
      if (!job) continue;
      const paused = { ...job, paused: true, pausedAt: request.at, pauseReason: request.reason };
      this.o.publish({ stream: 'job', type: 'paused', at: request.at, jobId: job.id, job: paused });
    }
  }

  /** Nothing was recorded: give the fires back unchanged so the next round takes them again. */
  private async handBack(claims: Claim[]): Promise<void> {
    const requests = claims.map(({ job, token }) => ({
      jobId: job.id,
      token,
      claimedNextRunTime: job.nextRunTime,
      nextRunTime: job.nextRunTime,
      dueAt: job.dueAt,
    }));
    try {
      await this.o.store.commit(requests);
    } catch (error) {
      // Their leases run out and the claims are taken back then.
      this.o.events.emit('error', { error, during: 'release claims' });
    }
  }

  private remember(rows: Execution[]): void {
    if (this.rememberedIds.size + rows.length > MAX_REMEMBERED_IDS) this.rememberedIds.clear();
    for (const row of rows) this.rememberedIds.set(fireKey(row.jobId, row.scheduledFor, row.attempt), row.id);
  }

  private async retrying<T>(step: string, write: () => Promise<T>): Promise<T> {
    let last: unknown;
    for (const pause of WRITE_BACKOFF_MS) {
      if (pause > 0) await this.o.clock.sleep(pause).done;
      try {
        return await write();
      } catch (error) {
        last = error;
        this.o.events.emit('error', { error, during: step });
      }
    }
    throw last;
  }
}

function lateMessage(lateMs: number, job: Job): string {
  return `missed: due ${lateMs} ms ago, past the misfire grace time of ${job.misfireGraceTimeMs} ms`;
}
