/**
 * The path of a claimed batch, as named steps: plan -> record -> commit -> dispatch. Each step's
 * failure is handled here, in one place:
 * - plan: a job whose trigger cannot be planned (or that the store could not decode) is
 *   quarantined, paused with a reason; the others go on.
 * - record: retried with the same row ids (insert is idempotent per id); if it still fails the
 *   claims are handed back unchanged and the rows carried, so the round that retakes the same
 *   fires writes the same rows again instead of orphaning the first ones.
 * - commit: retried; if it still fails the fires are recorded already, so they are dispatched
 *   anyway, and the intended schedule is kept so that when the claim is retaken, planning goes on
 *   from it instead of meeting its own rows as duplicates.
 * - dispatch: rows whose fire key was already stored under another id are someone else's.
 */
import type { SchedulerEvents } from '../events.ts';
import type { Execution } from '../execution.ts';
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
import { type Carried, type Decided, decideClaim } from './fire-decision.ts';
import type { Runner } from './runner.ts';
import type { StoreClock } from './store-clock.ts';

export interface PipelineOptions {
  store: JobStore;
  log: ExecutionLog;
  clock: StoreClock;
  runner: Runner;
  instance: string;
  /** The replica life rows, claims and commits are made under (see Liveness). */
  owner: () => string | undefined;
  logger: Logger;
  events: SchedulerEvents;
  publish: (event: BusEvent) => void;
  publishExecution: (type: ExecutionEventType, execution: Execution) => void;
  /** A poison job was paused (stored): for the audit trail. */
  onQuarantined?: (job: Job, paused: Job) => void;
}

/** Attempts of a store write within one round, and the pause before each further one. */
const WRITE_BACKOFF_MS = [0, 50, 250];
export class FirePipeline {
  private readonly o: PipelineOptions;
  /**
   * Per job, what an earlier round of its claim decided but could not finish: the rows it may or
   * may not have stored (a write whose reply was lost) and the schedule it meant to commit. When
   * the claim is taken again from the same point, those rows are written again as they were (the
   * insert is idempotent per id) and planning goes on from that schedule, so a fire is never
   * decided twice in two different ways.
   */
  private readonly carried = new Map<string, Carried>();
  private failedCommits: { request: CommitRequest; claim: Claim }[] = [];
  private readonly recording = new Set<string>();

  constructor(options: PipelineOptions) {
    this.o = options;
  }

  /** Decides, records and dispatches a claimed batch. Returns how many runs were dispatched. */
  async process(batch: ClaimBatch, horizon: number): Promise<number> {
    const now = batch.now;
    const ctx = { instance: this.o.instance, owner: this.o.owner(), now };
    const quarantine: { request: QuarantineRequest; job: Job | null }[] = batch.poisoned.map((p) => ({
      request: {
        jobId: p.jobId,
        token: p.token,
        reason: `the stored job could not be read: ${p.error}`,
        at: now,
      },
      job: null,
    }));
    const decided: Decided[] = [];
    for (const claim of batch.claims) {
      const decision = decideClaim(claim, this.takeCarried(claim.job), horizon, ctx);
      if ('quarantine' in decision) {
        const request = { jobId: decision.job.id, token: claim.token, reason: decision.quarantine, at: now };
        quarantine.push({ request, job: decision.job });
      } else decided.push(decision);
    }
    if (quarantine.length > 0) await this.quarantine(quarantine);
    if (decided.length === 0) return 0;

    const rows = decided.flatMap((d) => d.rows);
    // From their insert until the runner has them, these runs are this replica's: the sweep must
    // not settle them (a catch-up run due long ago looks just like an orphan).
    const runIds = decided.flatMap((d) => d.runs.map((run) => run.id));
    for (const id of runIds) this.recording.add(id);
    try {
      return await this.recordAndDispatch(decided, rows, now);
    } finally {
      for (const id of runIds) this.recording.delete(id);
    }
  }

  /** Whether a row is one this pipeline is recording, or keeps to write again (see carried). */
  has(id: string): boolean {
    if (this.recording.has(id)) return true;
    for (const memo of this.carried.values()) if (memo.runs.some((run) => run.id === id)) return true;
    return false;
  }

  private async recordAndDispatch(decided: Decided[], rows: Execution[], now: number): Promise<number> {
    let stored: Set<string>;
    try {
      stored = await this.retrying('record', () => this.o.log.insert(rows));
    } catch (error) {
      for (const d of decided) this.carry(d, d.rows, d.runs);
      await this.handBack(decided.map((d) => d.claim));
      throw error;
    }
    await this.commit(decided, now);

    for (const row of rows) {
      if (!stored.has(row.id)) {
        this.o.events.emit('duplicate', {
          jobId: row.jobId,
          scheduledFor: row.scheduledFor,
          attempt: row.attempt,
        });
      } else if (row.status === 'missed') {
        this.o.publishExecution('missed', row);
      }
    }
    const mine = decided.flatMap((d) =>
      d.runs.filter((run) => stored.has(run.id)).map((execution) => ({ job: d.job, execution })),
    );
    this.o.runner.schedule(mine);
    return mine.length;
  }

  /** The carried decision for a claim, if it was made from the schedule the store still holds. */
  private takeCarried(job: Job): Carried | null {
    const memo = this.carried.get(job.id);
    if (!memo) return null;
    this.carried.delete(job.id);
    // The job was claimed again: a failed commit of its old claim can only be stale now.
    this.failedCommits = this.failedCommits.filter((f) => f.request.jobId !== job.id);
    return memo.from === job.nextRunTime ? memo : null; // else the schedule moved since
  }

  private carry(d: Pick<Decided, 'claim' | 'commit'>, rows: Execution[], runs: Execution[]): void {
    this.carried.set(d.commit.jobId, {
      from: d.claim.job.nextRunTime,
      rows,
      runs,
      nextRunTime: d.commit.nextRunTime,
      dueAt: d.commit.dueAt,
      runCount: d.commit.runCount,
    });
  }

  /** Commits that failed, retried at the start of each round while their claims last. */
  get pendingCommits(): number {
    return this.failedCommits.length;
  }

  /** One more try of the commits that failed; the claim loop calls it every round. */
  async retryCommits(now: number): Promise<void> {
    if (this.failedCommits.length === 0) return;
    const failed = this.failedCommits.splice(0);
    await this.commit(
      failed.map((f) => ({ claim: f.claim, commit: f.request })),
      now,
      [0],
    );
  }

  private async commit(
    decided: Pick<Decided, 'claim' | 'commit'>[],
    now: number,
    backoff = WRITE_BACKOFF_MS,
  ): Promise<void> {
    const commits = decided.map((d) => d.commit);
    let outcomes: CommitOutcome[];
    try {
      outcomes = await this.retrying('commit', () => this.o.store.commit(commits, this.o.owner()), backoff);
    } catch {
      for (const d of decided) {
        this.failedCommits.push({ request: d.commit, claim: d.claim });
        // Should the claim expire and come back before a retry lands, planning goes on from here.
        this.carry(d, [], []);
      }
      return;
    }
    outcomes.forEach((outcome, i) => {
      const d = decided[i] as Pick<Decided, 'claim' | 'commit'>;
      const request = d.commit;
      // Stale: expired (or applied by a call whose reply was lost); if it comes back, go on from here.
      if (outcome === 'stale') this.carry(d, [], []);
      else this.carried.delete(request.jobId);
      if (outcome !== 'committed') this.o.events.emit('commit', { jobId: request.jobId, outcome });
      if (outcome === 'committed' && request.nextRunTime === null) {
        const job = { ...d.claim.job, nextRunTime: null, dueAt: null };
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
      this.o.events.emit('error', {
        error: new Error(request.reason),
        during: `planning job ${request.jobId}`,
      });
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
      const paused = {
        ...job,
        paused: true,
        pausedAt: request.at,
        pauseReason: request.reason,
        pausedBy: 'system',
      };
      this.o.publish({ stream: 'job', type: 'paused', at: request.at, jobId: job.id, job: paused });
      this.o.onQuarantined?.(job, paused);
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
      await this.o.store.commit(requests, this.o.owner());
    } catch (error) {
      // Their leases run out and the claims are taken back then.
      this.o.events.emit('error', { error, during: 'release claims' });
    }
  }

  private async retrying<T>(step: string, write: () => Promise<T>, backoff = WRITE_BACKOFF_MS): Promise<T> {
    let last: unknown;
    for (const pause of backoff) {
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
