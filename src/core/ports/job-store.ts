/** The JobStore port: job definitions, their schedule, slots and replica lives. */
import type { Job } from '../job.ts';
import type { Page } from './page.ts';
import type { DeadReplica, ReplicaLife, ReplicaStatus } from './replicas.ts';
import type { QueuedSlotAnswer, QueuedSlotRequest, Slot, SlotRequest } from './slots.ts';

export interface JobQuery {
  first: number;
  after?: string | null;
  paused?: boolean | null;
  task?: string | null;
}

/** A job handed to one replica to decide its due fire. */
export interface Claim {
  /** The job as stored at claim time, including the nextRunTime being fired. */
  job: Job;
  /** Fencing token: unique per claim, never reused. */
  token: string;
}

/** A claimed job the store could not decode: it is handed out so the claimer can quarantine it. */
export interface PoisonedClaim {
  jobId: string;
  token: string;
  error: string;
}

export interface ClaimBatch {
  /** The store's clock at claim time (Redis TIME for Redis), so every replica judges lateness alike. */
  now: number;
  claims: Claim[];
  /** Claimed jobs whose stored form could not be decoded; never mixed into `claims`. */
  poisoned: PoisonedClaim[];
  /**
   * Jobs still due by the claim's horizon (now + lookahead) after it, expired claims aside: with
   * peers, a replica takes its share of a herd and leaves the rest to them. Absent: not known.
   */
  remaining?: number;
}

/** Pause a claimed job that cannot be planned (a poison job), ending its claim. */
export interface QuarantineRequest {
  jobId: string;
  token: string;
  reason: string;
  at: number;
}

export interface CommitRequest {
  jobId: string;
  token: string;
  /** The nextRunTime the claim was made for (Claim.job.nextRunTime). */
  claimedNextRunTime: number | null;
  /** New nominal next run time and due time; both null when the job is finished. */
  nextRunTime: number | null;
  dueAt: number | null;
  /** The job's runCount after this round (maxRuns); absent = unchanged. */
  runCount?: number;
}

/**
 * - `committed`: the schedule now points at the new next run time.
 * - `stale`: the claim expired and was taken back (or never existed); nothing changed.
 * - `superseded`: the schedule was changed meanwhile (reschedule, resume, update); the change wins.
 * - `removed`: the job was removed meanwhile.
 */
export type CommitOutcome = 'committed' | 'stale' | 'superseded' | 'removed';

/**
 * Job definitions and their schedule.
 *
 * A job is *due* when it is not paused, its dueAt is not null and dueAt <= now. Claiming removes it
 * from the due set until its claim is committed or its lease expires; two claimers can never hold
 * the same fire. The schedule fields (nextRunTime, dueAt) are owned by the claim/commit cycle;
 * `update` only replaces them when asked to.
 */
export interface JobStore {
  /** Insert a job. ConflictError when the id exists. */
  add(job: Job): Promise<void>;
  get(id: string): Promise<Job | null>;
  /**
   * Ordered by id ascending; `after` is the cursor of the previous page. Items are read-only
   * snapshots: a store may hand out frozen shared objects instead of copies (reads are the hot
   * path), so callers must not change them; a later change to a job never alters a page already read.
   */
  list(query: JobQuery): Promise<Page<Job>>;
  count(): Promise<number>;
  /**
   * A number that moves whenever what get/list/count return may have changed (every add, update,
   * remove, quarantine and committed schedule), never back, for caches of reads. Absent: the
   * store cannot say, and reads are not cached.
   */
  changeCount?(): Promise<number>;
  /**
   * Replace a job's definition if its stored version is `expectedVersion` (ConflictError otherwise,
   * NotFoundError when it does not exist). `job.version` is the new version.
   * schedule 'replace': store job.nextRunTime/dueAt; 'keep': keep the stored ones (a claim in flight
   * may be moving them). A paused job is never due; an unpaused one with a dueAt is.
   */
  update(job: Job, expectedVersion: number, schedule: 'keep' | 'replace'): Promise<void>;
  /** Remove and return the job; null when it did not exist. Its claim, if any, becomes stale. */
  remove(id: string): Promise<Job | null>;
  /**
   * Atomically take up to `limit` jobs due by now + `lookaheadMs` (earliest dueAt first), each under a
   * new claim with a lease of `leaseMs`. Claims whose lease expired are taken back first and handed
   * out again with a new token. Cost is independent of the number of jobs stored.
   * The lookahead lets a scheduler do its bookkeeping before a fire is due and start it on time.
   */
  claimDue(limit: number, leaseMs: number, lookaheadMs?: number, owner?: string): Promise<ClaimBatch>;
  /**
   * Finish claims: see CommitOutcome. One outcome per request, in order. With `owner`, a life that
   * is no longer live (see heartbeat) gets `stale` for every request: its claims were released.
   */
  commit(requests: CommitRequest[], owner?: string): Promise<CommitOutcome[]>;
  /**
   * Pause claimed jobs with a reason (pausedAt = at, pauseReason = reason) and end their claims, so
   * a job that cannot be planned or decoded never blocks the others. A request whose claim is no
   * longer the job's current one, or whose job is gone, changes nothing. The version is bumped.
   */
  quarantine(requests: QuarantineRequest[]): Promise<void>;
  /** Earliest instant something may become claimable (a dueAt or a claim lease expiry); null = nothing. */
  nextWakeAt(): Promise<number | null>;
  /** The store's clock (see ClaimBatch.now). */
  now(): Promise<number>;

  /**
   * Take one of the job's `maxInstances` slots for an execution, lease `leaseMs`. False when all are
   * held. Slots with an expired lease do not count. Cluster-wide for a shared store.
   */
  acquireSlot(slot: Slot, maxInstances: number, leaseMs: number, owner?: string): Promise<boolean>;
  /**
   * acquireSlot for many slots in one round trip, decided in order; one answer per request. With
   * `owner`, the slots are held by that life; ReplicaExpiredError (nothing taken) when it is not live.
   */
  acquireSlots(requests: SlotRequest[], leaseMs: number, owner?: string): Promise<boolean[]>;
  /**
   * acquireSlots with a wait queue per job (see QueuedSlotRequest). A queued request counts as held
   * for heldSlots and the reapers (its row is accounted for by the replica that polls for it).
   */
  acquireQueuedSlots(
    requests: QueuedSlotRequest[],
    leaseMs: number,
    owner?: string,
  ): Promise<QueuedSlotAnswer[]>;
  /**
   * Extend the leases of slots this replica holds (a heartbeat while executions run). Returns the
   * slots another fire marked for cancellation (cancel_other): their runs must be aborted.
   */
  renewSlots(slots: Slot[], leaseMs: number): Promise<Slot[]>;
  /** Give slots (held or queued) back (their executions are recorded); one round trip for the lot. */
  releaseSlots(slots: Slot[]): Promise<void>;
  /** For each slot, whether it is held under an unexpired lease (the reconciliation sweep asks). */
  heldSlots(slots: Slot[]): Promise<boolean[]>;
  /** Remove and return up to `limit` slots whose lease expired: their holder died. */
  reapExpiredSlots(limit: number): Promise<Slot[]>;

  /**
   * Keep a life live for `ttlMs` more (store clock). `first` registers it; otherwise false when it
   * was reaped meanwhile (declared dead: its claims and slots were released), and the caller must
   * stop acting under it and start a new life. A life that ran out but was not reaped is revived:
   * nothing of it was taken over. Between its expiry and its revival, it is fenced all the same.
   */
  heartbeat(life: ReplicaLife, ttlMs: number, first: boolean): Promise<boolean>;
  /** End a life on a clean stop (what it held was handed back already). */
  leave(lifeId: string): Promise<void>;
  /**
   * Remove up to `limit` lives whose heartbeat ran out, releasing their claims (claimable again at
   * once) and their slots. Atomic per life: two reapers never both get the same one.
   */
  reapDeadReplicas(limit: number): Promise<DeadReplica[]>;
  /** The live replicas, oldest first. */
  replicas(): Promise<ReplicaStatus[]>;

  /** Optional: called when another process changed the schedule, so a sleeping scheduler wakes early. */
  onScheduleChange?(listener: () => void): () => void;
  close(): Promise<void>;
}
