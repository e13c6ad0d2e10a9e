/**
 * JobStore in one process: the same contract as the Redis store (see ports.ts), for tests and the
 * embedded default. Every time comes from the injected clock, so fake-clock tests drive leases too.
 *
 * Claim bookkeeping mirrors the Redis store: each job has at most one *current* claim
 * (claim-table.ts); a schedule change made outside commit (a 'replace' that moves the schedule, a
 * removal) ends it, so its commit is `superseded`/`removed`, and the fire it held is never also in
 * the due index. Slots and wait queues are slot-table.ts's, replica lives replica-lives.ts's.
 *
 * Stored jobs are deeply frozen and replaced, never changed in place: list() hands them out as they
 * are (a page of copies was a fifth of a `jobs` query's time), get() and claims hand out copies.
 */
import type { Clock } from '../../core/clock.ts';
import { ConflictError, NotFoundError, ReplicaExpiredError, ValidationError } from '../../core/errors.ts';
import type { Job } from '../../core/job.ts';
import type {
  Claim,
  ClaimBatch,
  CommitOutcome,
  CommitRequest,
  DeadReplica,
  JobQuery,
  JobStore,
  Page,
  QuarantineRequest,
  QueuedSlotAnswer,
  QueuedSlotRequest,
  ReplicaLife,
  ReplicaStatus,
  Slot,
  SlotRequest,
} from '../../core/ports.ts';
import { deepFreeze } from '../deep-freeze.ts';
import { ClaimTable } from './claim-table.ts';
import { ReplicaLives } from './replica-lives.ts';
import { ScoreIndex } from './score-index.ts';
import { SlotTable } from './slot-table.ts';
import { SortedIds } from './sorted-ids.ts';

export interface MemoryJobStoreOptions {
  clock: Clock;
}

export function createMemoryJobStore(options: MemoryJobStoreOptions): JobStore {
  return new MemoryJobStore(options.clock);
}

class MemoryJobStore implements JobStore {
  private readonly clock: Clock;
  /** Frozen: replaced on change, shared by list() pages. */
  private readonly jobs = new Map<string, Readonly<Job>>();
  /** Ids in ascending order, for cursor pagination. */
  private readonly ids = new SortedIds();
  /** Bumped by every write a read can see (JobStore.changeCount). */
  private changes = 0;
  /** Unpaused jobs with a dueAt and no current claim, by dueAt. */
  private readonly due = new ScoreIndex();
  private readonly claims = new ClaimTable();
  private readonly slots = new SlotTable();
  private readonly lives = new ReplicaLives();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  async add(job: Job): Promise<void> {
    if (this.jobs.has(job.id)) throw new ConflictError(`job "${job.id}" already exists`);
    const stored = deepFreeze(structuredClone(job));
    this.jobs.set(job.id, stored);
    this.ids.insert(job.id);
    this.claims.dropCurrent(job.id);
    this.syncDue(stored);
    this.changes++;
  }

  async get(id: string): Promise<Job | null> {
    const job = this.jobs.get(id);
    return job ? structuredClone(job) : null;
  }

  async list(query: JobQuery): Promise<Page<Job>> {
    if (!Number.isInteger(query.first) || query.first < 0) {
      throw new ValidationError('first', `must be a non-negative integer, got ${query.first}`);
    }
    const items: Job[] = [];
    let hasNextPage = false;
    for (let i = this.ids.startAfter(query.after ?? null); i < this.ids.length; i++) {
      const job = this.jobs.get(this.ids.at(i)) as Job;
      if (query.paused != null && job.paused !== query.paused) continue;
      if (query.task != null && job.task !== query.task) continue;
      if (items.length === query.first) {
        hasNextPage = true;
        break;
      }
      items.push(job);
    }
    return { items, hasNextPage, endCursor: items.at(-1)?.id ?? null };
  }

  async count(): Promise<number> {
    return this.jobs.size;
  }

  async changeCount(): Promise<number> {
    return this.changes;
  }

  async update(job: Job, expectedVersion: number, schedule: 'keep' | 'replace'): Promise<void> {
    const stored = this.jobs.get(job.id);
    if (!stored) throw new NotFoundError('job', job.id);
    if (stored.version !== expectedVersion) {
      throw new ConflictError(`job "${job.id}" is at version ${stored.version}, not ${expectedVersion}`);
    }
    const next = structuredClone(job);
    if (schedule === 'keep') {
      next.nextRunTime = stored.nextRunTime;
      next.dueAt = stored.dueAt;
    } else if (next.nextRunTime !== stored.nextRunTime || next.dueAt !== stored.dueAt) {
      // The claim in flight was for the old schedule: its commit must not overwrite this one.
      this.claims.dropCurrent(job.id);
    }
    this.jobs.set(job.id, deepFreeze(next));
    this.syncDue(next);
    this.changes++;
  }

  async remove(id: string): Promise<Job | null> {
    const job = this.jobs.get(id);
    if (!job) return null;
    this.jobs.delete(id);
    this.ids.delete(id);
    this.changes++;
    this.due.delete(id);
    this.claims.dropCurrent(id);
    // Claims stay until committed (`removed`) or expired; slots stay in the reap index so a dead
    // holder's executions are still found and marked abandoned.
    this.slots.forgetJob(id);
    return structuredClone(job);
  }

  async claimDue(limit: number, leaseMs: number, lookaheadMs = 0, owner?: string): Promise<ClaimBatch> {
    if (owner !== undefined && !this.isLive(owner)) throw new ReplicaExpiredError(owner);
    const now = this.clock.now();
    const horizon = now + Math.max(0, lookaheadMs);
    const claims: Claim[] = [];
    // Take back expired claims first: their holder died mid-decision, so the fire is still owed.
    while (claims.length < limit) {
      const expired = this.claims.takeExpired(now);
      if (!expired) break;
      if (!expired.current) continue;
      const job = this.jobs.get(expired.jobId) as Job;
      if (job.paused) this.claims.dropCurrent(expired.jobId);
      else claims.push(this.issue(job, now, leaseMs, owner));
    }
    for (let top = this.due.peek(); top && top.score <= horizon && claims.length < limit; ) {
      this.due.delete(top.key);
      claims.push(this.issue(this.jobs.get(top.key) as Job, now, leaseMs, owner));
      top = this.due.peek();
    }
    // Jobs are stored as objects, never as a form that could fail to decode: nothing is poisoned.
    return { now, claims, poisoned: [], remaining: this.due.countUpTo(horizon) };
  }

  async commit(requests: CommitRequest[], owner?: string): Promise<CommitOutcome[]> {
    if (owner !== undefined && !this.isLive(owner)) return requests.map(() => 'stale');
    return requests.map((request) => this.commitOne(request));
  }

  async quarantine(requests: QuarantineRequest[]): Promise<void> {
    for (const request of requests) {
      if (!this.claims.holds(request.token, request.jobId)) continue;
      if (!this.claims.isCurrent(request.jobId, request.token)) continue;
      const job = this.jobs.get(request.jobId);
      if (!job) continue;
      this.claims.end(request.token);
      this.claims.dropCurrent(request.jobId);
      const next: Job = Object.freeze({
        ...job,
        paused: true,
        pausedAt: request.at,
        pauseReason: request.reason,
        pausedBy: 'system',
        version: job.version + 1,
      });
      this.jobs.set(request.jobId, next);
      this.syncDue(next);
      this.changes++;
    }
  }

  async nextWakeAt(): Promise<number | null> {
    const due = this.due.peek()?.score;
    const lease = this.claims.nextExpiry();
    if (due === undefined) return lease ?? null;
    return lease === undefined ? due : Math.min(due, lease);
  }

  async now(): Promise<number> {
    return this.clock.now();
  }

  async acquireSlot(slot: Slot, maxInstances: number, leaseMs: number, owner?: string): Promise<boolean> {
    if (owner !== undefined && !this.isLive(owner)) throw new ReplicaExpiredError(owner);
    const now = this.clock.now();
    return this.slots.acquire(slot, maxInstances, now + leaseMs, now, owner);
  }

  async acquireSlots(requests: SlotRequest[], leaseMs: number, owner?: string): Promise<boolean[]> {
    if (owner !== undefined && !this.isLive(owner)) throw new ReplicaExpiredError(owner);
    const now = this.clock.now();
    return requests.map(({ slot, maxInstances }) =>
      this.slots.acquire(slot, maxInstances, now + leaseMs, now, owner),
    );
  }

  async acquireQueuedSlots(
    requests: QueuedSlotRequest[],
    leaseMs: number,
    owner?: string,
  ): Promise<QueuedSlotAnswer[]> {
    if (owner !== undefined && !this.isLive(owner)) throw new ReplicaExpiredError(owner);
    const now = this.clock.now();
    return requests.map((request) => this.slots.acquireQueued(request, now + leaseMs, now, owner));
  }

  async renewSlots(slots: Slot[], leaseMs: number): Promise<Slot[]> {
    return this.slots.renew(slots, this.clock.now() + leaseMs);
  }

  async releaseSlots(slots: Slot[]): Promise<void> {
    this.slots.release(slots);
  }

  async heldSlots(slots: Slot[]): Promise<boolean[]> {
    return this.slots.held(slots, this.clock.now());
  }

  async reapExpiredSlots(limit: number): Promise<Slot[]> {
    return this.slots.reapExpired(limit, this.clock.now());
  }

  async heartbeat(life: ReplicaLife, ttlMs: number, first: boolean): Promise<boolean> {
    // Revived if it ran out unreaped: only reaping releases what a life holds (see the Redis script).
    return this.lives.heartbeat(life, this.clock.now() + ttlMs, first);
  }

  async leave(lifeId: string): Promise<void> {
    this.lives.leave(lifeId);
  }

  async reapDeadReplicas(limit: number): Promise<DeadReplica[]> {
    const now = this.clock.now();
    const dead: DeadReplica[] = [];
    while (dead.length < limit) {
      const next = this.lives.takeExpired(now);
      if (!next) break;
      const { life, expiredAt } = next;
      const claims = this.claims.expireOwnedBy(life.id, now);
      const slots = this.slots.ownedBy(life.id);
      this.slots.release(slots);
      dead.push({ ...life, expiredAt, slots, claims });
    }
    return dead;
  }

  async replicas(): Promise<ReplicaStatus[]> {
    return this.lives.live(this.clock.now());
  }

  async close(): Promise<void> {}

  private isLive(lifeId: string): boolean {
    return this.lives.isLive(lifeId, this.clock.now());
  }

  private commitOne(request: CommitRequest): CommitOutcome {
    if (!this.claims.holds(request.token, request.jobId)) return 'stale';
    this.claims.end(request.token);
    const job = this.jobs.get(request.jobId);
    if (!job) return 'removed';
    if (!this.claims.isCurrent(request.jobId, request.token)) return 'superseded';
    this.claims.dropCurrent(request.jobId);
    // Pages already handed out keep the old object; the nested parts are frozen and shared.
    const next: Job = Object.freeze({
      ...job,
      nextRunTime: request.nextRunTime,
      dueAt: request.nextRunTime === null ? null : request.dueAt,
      runCount: request.runCount ?? job.runCount,
    });
    this.jobs.set(request.jobId, next);
    this.syncDue(next);
    this.changes++;
    return 'committed';
  }

  private issue(job: Job, now: number, leaseMs: number, owner: string | undefined): Claim {
    const token = this.claims.issue(job.id, now + leaseMs, owner);
    return { job: structuredClone(job), token };
  }

  /** A paused job is never due; an unpaused one with a dueAt is, unless a claim holds that fire. */
  private syncDue(job: Job): void {
    if (job.paused || job.dueAt === null) this.due.delete(job.id);
    else if (!this.claims.hasCurrent(job.id)) this.due.set(job.id, job.dueAt);
  }
}
