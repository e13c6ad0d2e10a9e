/**
 * The ports the core depends on. Adapters (src/adapters/*) implement them; one contract suite per
 * port (test/contract/*) runs against every adapter, so these comments are the contract.
 *
 * Deliberately left out: connections and transactions. An adapter owns its connections; no
 * driver type crosses a port. All times are epoch milliseconds.
 */
import type { Execution, ExecutionError, ExecutionStatus, FinalStatus } from './execution.ts';
import type { Job } from './job.ts';
import type { JsonValue } from './json.ts';

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  /** Opaque; pass as `after` to get the next page. Null when `items` is empty. */
  endCursor: string | null;
}

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

/**
 * One process's membership of the cluster. `id` is unique per life of a process: a replica that
 * was declared dead (it stopped heart-beating: killed, frozen, cut off) never comes back under it.
 * Claims, slots and running rows are held by a life, so the cluster can settle them when it ends.
 */
export interface ReplicaLife {
  id: string;
  /** The configured instance name (rows carry it as `instance`). */
  instance: string;
  startedAt: number;
}

export interface ReplicaStatus extends ReplicaLife {
  /** When its heartbeat runs out (store clock). */
  expiresAt: number;
}

/** A life whose heartbeat ran out, removed with everything it held (see reapDeadReplicas). */
export interface DeadReplica extends ReplicaLife {
  /** When its heartbeat ran out: from then on it could start nothing (the store fenced it). */
  expiredAt: number;
  /** The slots its runs held (those runs started, or were about to), now released. */
  slots: Slot[];
  /** How many of its claims were released (their fires are claimable again at once). */
  claims: number;
}

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

export interface ExecutionQuery {
  first: number;
  after?: string | null;
  jobId?: string | null;
  status?: ExecutionStatus[] | null;
  /** scheduledFor >= since */
  since?: number | null;
  /** scheduledFor < until */
  until?: number | null;
}

/** The filters of an ExecutionQuery, for `count`. */
export type ExecutionFilter = Omit<ExecutionQuery, 'first' | 'after'>;

/**
 * A job's history since an instant (scheduledFor >= since), summed up. Lateness is startedAt minus
 * the nominal time (a retry's: its dueAt), never below 0; percentiles interpolate linearly between
 * the nearest values (PostgreSQL's percentile_cont); null when no row has the value.
 */
export interface ExecutionStats {
  /** Rows by status; statuses without rows are absent. */
  counts: Partial<Record<ExecutionStatus, number>>;
  latenessP50Ms: number | null;
  latenessP99Ms: number | null;
  durationP50Ms: number | null;
  durationP99Ms: number | null;
  /** finishedAt of the job's newest successful row in the whole history, not only since `since`. */
  lastSuccessAt: number | null;
}

export interface ExecutionFinish {
  id: string;
  status: FinalStatus;
  /** When the handler really started; null when it never started (skipped at its due time). */
  startedAt: number | null;
  finishedAt: number;
  durationMs: number | null;
  error: ExecutionError | null;
  result: JsonValue | null;
}

/**
 * The history of every fire. Rows are written in batches: the scheduler hands many rows at once
 * when many fires are due together.
 */
export interface ExecutionLog {
  /**
   * Insert rows. A row whose (jobId, scheduledFor, attempt) already exists under another id is not
   * inserted: that key is the last gate against running a fire twice. Returns the ids of the given
   * rows that are stored under their id: inserted now, or by an earlier call with the same row (so
   * a call whose reply was lost can be repeated safely).
   * Error text is bounded (message 8 KiB, stack 32 KiB) whatever the caller passes.
   */
  insert(rows: Execution[]): Promise<Set<string>>;
  /**
   * Move rows out of `running` or `pending` into a final status (startedAt set from the update).
   * A row already final is left as it is (a late result never wins). Idempotent.
   */
  finish(updates: ExecutionFinish[]): Promise<void>;
  /**
   * Atomically take up to `limit` pending rows with dueAt <= now (earliest first) and move them to
   * `running` under `instance`; two callers never get the same row. Returns them as now stored.
   */
  claimPending(now: number, limit: number, instance: string, owner?: string | null): Promise<Execution[]>;
  /** The earliest dueAt of a pending row; null when there is none. */
  nextPendingAt(): Promise<number | null>;
  /**
   * Up to `limit` running rows whose (dueAt ?? scheduledFor) < olderThan, oldest first: the
   * candidates of the reconciliation sweep (rows no live run may hold any more).
   */
  listRunning(olderThan: number, limit: number): Promise<Execution[]>;
  /** Up to `limit` running rows held by the life `owner`, oldest first (settling a dead replica). */
  listRunningOf(owner: string, limit: number): Promise<Execution[]>;
  /**
   * Move running rows that never started back to `pending` (owner cleared, dueAt kept), so any
   * replica's claimPending runs them: their replica died before their start. Returns those changed.
   */
  requeue(ids: string[]): Promise<Execution[]>;
  get(id: string): Promise<Execution | null>;
  /** Newest first: scheduledFor descending, then attempt descending, then id descending. */
  list(query: ExecutionQuery): Promise<Page<Execution>>;
  /** How many rows match the filters (the `totalCount` of a list). */
  count(filter: ExecutionFilter): Promise<number>;
  /** The job's rows with scheduledFor >= since, summed up (see ExecutionStats). */
  stats(jobId: string, since: number): Promise<ExecutionStats>;
  /** The newest row of each job (same order as list), for `lastExecution`. */
  latestByJob(jobIds: string[]): Promise<Map<string, Execution>>;
  /**
   * Mark these running (or pending) rows abandoned at `at`, with `reason` as their error message.
   * Returns the rows that changed, as now stored.
   */
  abandon(ids: string[], at: number, reason: string): Promise<Execution[]>;
  /** Delete final rows finished before `before` (retention). Returns how many. */
  deleteFinishedBefore(before: number): Promise<number>;
  close(): Promise<void>;
}

export type ExecutionEventType =
  | 'scheduled'
  | 'started'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'missed'
  | 'skipped'
  | 'abandoned'
  | 'cancelled';
export type JobEventType =
  | 'added'
  | 'updated'
  | 'paused'
  | 'resumed'
  | 'rescheduled'
  | 'removed'
  | 'finished'
  | 'overdue';

export interface ExecutionEvent {
  stream: 'execution';
  type: ExecutionEventType;
  at: number;
  execution: Execution;
}

export interface JobEvent {
  stream: 'job';
  type: JobEventType;
  at: number;
  jobId: string;
  /** The job after the change; for `removed`, the job as it was. */
  job: Job;
}

export type BusEvent = ExecutionEvent | JobEvent;
/** `sequence` increases by one per event within a stream, across all replicas sharing the bus. */
export type SequencedEvent = BusEvent & { sequence: number };

/**
 * Fan-out of execution and job events to every subscriber of every replica.
 * publish never throws and never waits for subscribers; a failing listener does not affect others.
 */
export interface EventBus {
  publish(event: BusEvent): void;
  subscribe(listener: (event: SequencedEvent) => void): () => void;
  close(): Promise<void>;
}

/** What changed a job: the job-service command, or the scheduler's quarantine of a poison job. */
export type AuditAction =
  | 'added'
  | 'updated'
  | 'paused'
  | 'resumed'
  | 'rescheduled'
  | 'removed'
  | 'backfilled'
  | 'quarantined';

/** One change to a job, with who made it and the job before and after (null: it did not exist). */
export interface AuditEntry {
  /** A UUIDv7 made at `at`. */
  id: string;
  jobId: string;
  action: AuditAction;
  /** Who: a token's scope ("admin token"), "jobs file" or "system". */
  actor: string;
  at: number;
  before: JsonValue | null;
  after: JsonValue | null;
}

export interface AuditQuery {
  first: number;
  after?: string | null;
  jobId?: string | null;
}

/**
 * The audit trail of job changes. Entries never change once recorded; they are deleted only by
 * retention, with the history (deleteBefore).
 */
export interface AuditLog {
  /** Store entries; one already stored under its id is left as it is (a repeated call is safe). */
  record(entries: AuditEntry[]): Promise<void>;
  /** Newest first: `at` descending, then id descending. */
  list(query: AuditQuery): Promise<Page<AuditEntry>>;
  /** Delete entries recorded before `before` (retention). Returns how many. */
  deleteBefore(before: number): Promise<number>;
  close(): Promise<void>;
}
