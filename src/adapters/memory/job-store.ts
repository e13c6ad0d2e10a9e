/**
 * JobStore in one process: the same contract as the Redis store (see ports.ts), for tests and the
 * embedded default. Every time comes from the injected clock, so fake-clock tests drive leases too.
 *
 * Claim bookkeeping mirrors the Redis store: each job has at most one *current* claim (`current`);
 * a schedule change made outside commit (a 'replace' that moves the schedule, a removal) ends it,
 * so its commit is `superseded`/`removed`, and the fire it held is never also in the due index.
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
import { ScoreIndex } from './score-index.ts';
import { SlotQueues } from './slot-queues.ts';
import { SortedIds } from './sorted-ids.ts';

export interface MemoryJobStoreOptions {
  clock: Clock;
}

interface ClaimRecord {
  jobId: string;
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
  /** Claim token -> lease expiry. */
  private readonly claimLeases = new ScoreIndex();
  private readonly claims = new Map<string, ClaimRecord>();
  /** Job id -> token of the claim that holds its current fire. */
  private readonly current = new Map<string, string>();
  private fence = 0;
  /** Job id -> execution id -> lease expiry: the held maxInstances slots. */
  private readonly running = new Map<string, Map<string, number>>();
  /** Slot key -> lease expiry, for reaping. */
  private readonly slotLeases = new ScoreIndex();
  private readonly slots = new Map<string, Slot>();
  /** Life id -> heartbeat expiry, and what each live life holds. */
  private readonly lives = new ScoreIndex();
  private readonly lifeInfo = new Map<string, ReplicaLife>();
  private readonly claimOwner = new Map<string, string>();
  private readonly slotOwner = new Map<string, string>();
  private readonly queues = new SlotQueues();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  async add(job: Job): Promise<void> {
    if (this.jobs.has(job.id)) throw new ConflictError(`job "${job.id}" already exists`);
    const stored = deepFreeze(structuredClone(job));
    this.jobs.set(job.id, stored);
    this.ids.insert(job.id);
    this.current.delete(job.id);
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
      this.current.delete(job.id);
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
    this.current.delete(id);
    // Claims stay until committed (`removed`) or expired; slots stay in the reap index so a dead
    // holder's executions are still found and marked abandoned.
    this.running.delete(id);
    return structuredClone(job);
  }

  async claimDue(limit: number, leaseMs: number, lookaheadMs = 0, owner?: string): Promise<ClaimBatch> {
    if (owner !== undefined && !this.isLive(owner)) throw new ReplicaExpiredError(owner);
    const now = this.clock.now();
    const horizon = now + Math.max(0, lookaheadMs);
    const claims: Claim[] = [];
    // Take back expired claims first: their holder died mid-decision, so the fire is still owed.
    for (let top = this.claimLeases.peek(); top && top.score <= now && claims.length < limit; ) {
      this.claimLeases.delete(top.key);
      const record = this.claims.get(top.key) as ClaimRecord;
      this.claims.delete(top.key);
      this.claimOwner.delete(top.key);
      if (this.current.get(record.jobId) === top.key) {
        const job = this.jobs.get(record.jobId) as Job;
        if (job.paused) this.current.delete(record.jobId);
        else claims.push(this.issue(job, now, leaseMs, owner));
      }
      top = this.claimLeases.peek();
    }
    for (let top = this.due.peek(); top && top.score <= horizon && claims.length < limit; ) {
      this.due.delete(top.key);
      claims.push(this.issue(this.jobs.get(top.key) as Job, now, leaseMs, owner));
      top = this.due.peek();
    }
    // Jobs are stored as objects, never as a form that could fail to decode: nothing is poisoned.
    return { now, claims, poisoned: [] };
  }

  async commit(requests: CommitRequest[], owner?: string): Promise<CommitOutcome[]> {
    if (owner !== undefined && !this.isLive(owner)) return requests.map(() => 'stale');
    return requests.map((request) => this.commitOne(request));
  }

  async quarantine(requests: QuarantineRequest[]): Promise<void> {
    for (const request of requests) {
      const record = this.claims.get(request.token);
      if (!record || record.jobId !== request.jobId) continue;
      if (this.current.get(request.jobId) !== request.token) continue;
      const job = this.jobs.get(request.jobId);
      if (!job) continue;
      this.claims.delete(request.token);
      this.claimLeases.delete(request.token);
      this.claimOwner.delete(request.token);
      this.current.delete(request.jobId);
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
    const lease = this.claimLeases.peek()?.score;
    if (due === undefined) return lease ?? null;
    return lease === undefined ? due : Math.min(due, lease);
  }

  async now(): Promise<number> {
    return this.clock.now();
  }

  async acquireSlot(slot: Slot, maxInstances: number, leaseMs: number, owner?: string): Promise<boolean> {
    if (owner !== undefined && !this.isLive(owner)) throw new ReplicaExpiredError(owner);
    const now = this.clock.now();
    let held = this.running.get(slot.jobId);
    if (!held) {
      held = new Map();
      this.running.set(slot.jobId, held);
    }
    // Expired slots stop counting here but stay in slotLeases until reaped.
    for (const [executionId, expiry] of held) if (expiry <= now) held.delete(executionId);
    if (!held.has(slot.executionId) && held.size >= maxInstances) return false;
    held.set(slot.executionId, now + leaseMs);
    const key = slotKey(slot);
    this.slotLeases.set(key, now + leaseMs);
    this.slots.set(key, { jobId: slot.jobId, executionId: slot.executionId });
    if (owner !== undefined) this.slotOwner.set(key, owner);
    return true;
  }

  async acquireSlots(requests: SlotRequest[], leaseMs: number, owner?: string): Promise<boolean[]> {
    if (owner !== undefined && !this.isLive(owner)) throw new ReplicaExpiredError(owner);
    const results: boolean[] = [];
    for (const { slot, maxInstances } of requests)
      results.push(await this.acquireSlot(slot, maxInstances, leaseMs, owner));
    return results;
  }

  async acquireQueuedSlots(
    requests: QueuedSlotRequest[],
    leaseMs: number,
    owner?: string,
  ): Promise<QueuedSlotAnswer[]> {
    if (owner !== undefined && !this.isLive(owner)) throw new ReplicaExpiredError(owner);
    const now = this.clock.now();
    const answers: QueuedSlotAnswer[] = [];
    for (const request of requests) {
      const { slot, maxInstances } = request;
      this.queues.purge(slot.jobId, now);
      const held = this.running.get(slot.jobId);
      for (const [executionId, expiry] of held ?? []) if (expiry <= now) held?.delete(executionId);
      const holds = held?.has(slot.executionId) ?? false;
      let outcome: QueuedSlotAnswer['outcome'] = 'full';
      if (holds || ((held?.size ?? 0) < maxInstances && this.queues.mayTake(slot.jobId, slot.executionId))) {
        this.queues.forget(slot.jobId, slot.executionId);
        await this.acquireSlot(slot, maxInstances, leaseMs, owner);
        outcome = 'acquired';
      } else if (
        this.queues.offer(slot.jobId, slot.executionId, request.order, request.limit, now + leaseMs)
      ) {
        // Entered with the slots, so heldSlots and the reapers account for the waiting row.
        const key = slotKey(slot);
        this.slotLeases.set(key, now + leaseMs);
        this.slots.set(key, { jobId: slot.jobId, executionId: slot.executionId });
        if (owner !== undefined) this.slotOwner.set(key, owner);
        outcome = 'queued';
      }
      const cancel =
        outcome === 'queued' && request.cancelOldest
          ? this.queues.markOldest(slot.jobId, [...(held?.keys() ?? [])])
          : [];
      answers.push({ outcome, cancel });
    }
    return answers;
  }

  async renewSlots(slots: Slot[], leaseMs: number): Promise<Slot[]> {
    const expiry = this.clock.now() + leaseMs;
    for (const slot of slots) {
      const key = slotKey(slot);
      if (this.slotLeases.has(key)) this.slotLeases.set(key, expiry);
      const held = this.running.get(slot.jobId);
      if (held?.has(slot.executionId)) held.set(slot.executionId, expiry);
    }
    return slots.filter((slot) => this.queues.isMarked(slot.executionId));
  }

  async releaseSlots(slots: Slot[]): Promise<void> {
    for (const slot of slots) {
      const key = slotKey(slot);
      this.slotLeases.delete(key);
      this.slots.delete(key);
      this.slotOwner.delete(key);
      this.queues.forget(slot.jobId, slot.executionId);
      const held = this.running.get(slot.jobId);
      held?.delete(slot.executionId);
      if (held?.size === 0) this.running.delete(slot.jobId);
    }
  }

  async heldSlots(slots: Slot[]): Promise<boolean[]> {
    const now = this.clock.now();
    // The reap index, not `running`: it outlives a removal of the job, as the Redis store's does.
    return slots.map((slot) => (this.slotLeases.score(slotKey(slot)) ?? Number.NEGATIVE_INFINITY) > now);
  }

  async reapExpiredSlots(limit: number): Promise<Slot[]> {
    const now = this.clock.now();
    const reaped: Slot[] = [];
    for (let top = this.slotLeases.peek(); top && top.score <= now && reaped.length < limit; ) {
      const slot = this.slots.get(top.key) as Slot;
      await this.releaseSlots([slot]);
      reaped.push(slot);
      top = this.slotLeases.peek();
    }
    return reaped;
  }

  async heartbeat(life: ReplicaLife, ttlMs: number, first: boolean): Promise<boolean> {
    // Revived if it ran out unreaped: only reaping releases what a life holds (see the Redis script).
    if (!first && !this.lives.has(life.id)) return false;
    this.lives.set(life.id, this.clock.now() + ttlMs);
    this.lifeInfo.set(life.id, { id: life.id, instance: life.instance, startedAt: life.startedAt });
    return true;
  }

  async leave(lifeId: string): Promise<void> {
    this.lives.delete(lifeId);
    this.lifeInfo.delete(lifeId);
  }

  async reapDeadReplicas(limit: number): Promise<DeadReplica[]> {
    const now = this.clock.now();
    const dead: DeadReplica[] = [];
    for (
      let top = this.lives.peek();
      top && top.score <= now && dead.length < limit;
      top = this.lives.peek()
    ) {
      const life = this.lifeInfo.get(top.key) as ReplicaLife;
      const expiredAt = top.score;
      this.lives.delete(top.key);
      this.lifeInfo.delete(top.key);
      let claims = 0;
      for (const [token, owner] of this.claimOwner) {
        if (owner !== life.id) continue;
        this.claimOwner.delete(token);
        // Expired now: the next claimDue of any replica takes the fire back.
        if (this.claimLeases.has(token)) this.claimLeases.set(token, now);
        claims++;
      }
      const slots: Slot[] = [];
      for (const [key, owner] of this.slotOwner)
        if (owner === life.id) slots.push(this.slots.get(key) as Slot);
      await this.releaseSlots(slots);
      dead.push({ ...life, expiredAt, slots, claims });
    }
    return dead;
  }

  async replicas(): Promise<ReplicaStatus[]> {
    const now = this.clock.now();
    return [...this.lifeInfo.values()]
      .map((life) => ({ ...life, expiresAt: this.lives.score(life.id) ?? 0 }))
      .filter((life) => life.expiresAt > now)
      .sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
  }

  async close(): Promise<void> {}

  private isLive(lifeId: string): boolean {
    return (this.lives.score(lifeId) ?? Number.NEGATIVE_INFINITY) > this.clock.now();
  }

  private commitOne(request: CommitRequest): CommitOutcome {
    const record = this.claims.get(request.token);
    if (!record || record.jobId !== request.jobId) return 'stale';
    this.claims.delete(request.token);
    this.claimLeases.delete(request.token);
    this.claimOwner.delete(request.token);
    const job = this.jobs.get(request.jobId);
    if (!job) return 'removed';
    if (this.current.get(request.jobId) !== request.token) return 'superseded';
    this.current.delete(request.jobId);
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
    const token = `m${++this.fence}`;
    this.claims.set(token, { jobId: job.id });
    if (owner !== undefined) this.claimOwner.set(token, owner);
    this.claimLeases.set(token, now + leaseMs);
    this.current.set(job.id, token);
    return { job: structuredClone(job), token };
  }

  /** A paused job is never due; an unpaused one with a dueAt is, unless a claim holds that fire. */
  private syncDue(job: Job): void {
    if (job.paused || job.dueAt === null) this.due.delete(job.id);
    else if (!this.current.has(job.id)) this.due.set(job.id, job.dueAt);
  }
}

function slotKey(slot: Slot): string {
  return `${slot.jobId}\u0000${slot.executionId}`;
}
