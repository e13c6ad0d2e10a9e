/**
 * JobStore on Redis (docs/design.md, section 3). Every change is one Lua script, so replicas sharing the
 * Redis never see half an update, and claims use Redis TIME: one clock for the whole cluster.
 *
 * Claim bookkeeping: `claims` holds every claim with its lease; `claimed` names the one claim per
 * job that holds its current fire. A schedule change made outside commit (a 'replace' that moves
 * the schedule, a removal) clears that name, so the old claim's commit is superseded/removed and
 * its fire is never in `due` at the same time as in a live claim.
 */
import type { Redis } from 'ioredis';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.ts';
import type { Job } from '../../core/job.ts';
import type {
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
import { Batcher } from './batcher.ts';
import { RedisClaims } from './claims.ts';
import { DecodedJobs } from './decoded-jobs.ts';
import { guard } from './errors.ts';
import { RedisJobWrites } from './job-writes.ts';
import { type JobStoreKeys, jobStoreKeys } from './keys.ts';
import { type LuaScript, runScript } from './run-script.ts';
import { RedisRunning } from './running.ts';
import { changeCountScript } from './scripts/changes.ts';
import { listJobsScript } from './scripts/list-jobs.ts';

export interface RedisJobStoreOptions {
  /**
   * Client for commands. The caller owns it: close() does not quit it. The store creates (and
   * closes) one extra connection, a duplicate, only if someone calls onScheduleChange.
   */
  redis: Redis;
  /** Key prefix; all keys share the hash tag `{<prefix>}`. Default 'kairos'. */
  prefix?: string;
}

export function createRedisJobStore(options: RedisJobStoreOptions): JobStore {
  return new RedisJobStore(options.redis, options.prefix ?? 'kairos');
}

/** Ids fetched per round when list() filters, so sparse matches don't cost one round trip each. */
const FILTERED_BATCH = 200;
/** JSON characters of decoded jobs list() keeps for reuse (~2x that in memory). */
const DECODED_CHARS = 16 * 1024 * 1024;

class RedisJobStore implements JobStore {
  private readonly redis: Redis;
  private readonly keys: JobStoreKeys;
  /** Tags this store's change messages so its own listeners ignore them (they know already). */
  private readonly instance = crypto.randomUUID();
  private subscriber: Redis | null = null;
  private readonly listeners = new Set<() => void>();
  /** list() hands out read-only snapshots (ports.ts), so unchanged jobs are decoded once. */
  private readonly decoded = new DecodedJobs(DECODED_CHARS);

  private readonly running: RedisRunning;
  private readonly claims: RedisClaims;
  private readonly writes: RedisJobWrites;
  /**
   * The change count is read from Redis for every caller, never kept here: a write through
   * another replica must show in this one's next read, and a pub/sub message may come after
   * it. Callers of one turn share one read, made after all of them asked.
   */
  private readonly changeReads = new Batcher<null, number>(async (callers) => {
    const count = Number(await this.run(changeCountScript, [this.keys.changes], []));
    return callers.map(() => count);
  }, Number.POSITIVE_INFINITY);

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = jobStoreKeys(prefix);
    this.running = new RedisRunning(redis, this.keys);
    this.claims = new RedisClaims(redis, this.keys);
    this.writes = new RedisJobWrites(redis, this.keys, this.instance);
  }

  async add(job: Job): Promise<void> {
    const added = await this.writes.add(job);
    if (added !== 1) throw new ConflictError(`job "${job.id}" already exists`);
  }

  async get(id: string): Promise<Job | null> {
    return this.writes.get(id);
  }

  async list(query: JobQuery): Promise<Page<Job>> {
    if (!Number.isInteger(query.first) || query.first < 0) {
      throw new ValidationError('first', `must be a non-negative integer, got ${query.first}`);
    }
    const filtered = query.paused != null || query.task != null;
    const batch = filtered ? Math.max(query.first + 1, FILTERED_BATCH) : query.first + 1;
    const items: Job[] = [];
    let cursor = query.after ?? null;
    const k = this.keys;
    for (;;) {
      const start = cursor === null ? '-' : `(${cursor}`;
      const [ids, jsons, nexts, versions, paused, infos] = (await this.run(
        listJobsScript,
        [k.ids, k.jobs, k.next, k.ver, k.paused, k.pauseinfo],
        [start, batch],
      )) as [string[], (string | null)[], (string | null)[], (string | null)[], number[], (string | null)[]];
      for (let i = 0; i < ids.length; i++) {
        const json = jsons[i];
        if (typeof json !== 'string') continue;
        if (!filtered && items.length === query.first) return page(items, true);
        const job = this.decoded.decode(
          ids[i] as string,
          json,
          nexts[i] ?? null,
          versions[i] ?? null,
          paused[i] === 1,
          infos[i] ?? null,
        );
        if (query.paused != null && job.paused !== query.paused) continue;
        if (query.task != null && job.task !== query.task) continue;
        if (items.length === query.first) return page(items, true);
        items.push(job);
      }
      if (ids.length < batch) return page(items, false);
      cursor = ids.at(-1) as string;
    }
  }

  async count(): Promise<number> {
    return guard(() => this.redis.hlen(this.keys.jobs));
  }

  changeCount(): Promise<number> {
    return this.changeReads.submit(null);
  }

  async update(job: Job, expectedVersion: number, schedule: 'keep' | 'replace'): Promise<void> {
    const result = await this.writes.update(job, expectedVersion, schedule);
    if (result === -1) throw new NotFoundError('job', job.id);
    if (result !== 1) throw new ConflictError(`job "${job.id}" is no longer at version ${expectedVersion}`);
  }

  remove(id: string): Promise<Job | null> {
    return this.writes.remove(id);
  }

  // The claim cycle (claim, commit, quarantine) and its epoch: src/adapters/redis/claims.ts.
  claimDue(limit: number, leaseMs: number, lookaheadMs = 0, owner = ''): Promise<ClaimBatch> {
    return this.claims.claimDue(limit, leaseMs, lookaheadMs, owner);
  }

  commit(requests: CommitRequest[], owner = ''): Promise<CommitOutcome[]> {
    return this.claims.commit(requests, owner);
  }

  quarantine(requests: QuarantineRequest[]): Promise<void> {
    return this.claims.quarantine(requests, this.instance);
  }

  async nextWakeAt(): Promise<number | null> {
    const replies = await guard(() =>
      this.redis
        .multi()
        .zrange(this.keys.due, 0, 0, 'WITHSCORES')
        .zrange(this.keys.claims, 0, 0, 'WITHSCORES')
        .exec(),
    );
    let earliest: number | null = null;
    for (const [error, reply] of replies ?? []) {
      if (error) throw error;
      const score = (reply as string[])[1];
      if (score !== undefined && (earliest === null || Number(score) < earliest)) earliest = Number(score);
    }
    return earliest;
  }

  async now(): Promise<number> {
    const [seconds, micros] = await guard(() => this.redis.time());
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  // What runs (slots, replica lives): src/adapters/redis/running.ts.
  acquireSlot(slot: Slot, maxInstances: number, leaseMs: number, owner?: string): Promise<boolean> {
    return this.running.acquireSlot(slot, maxInstances, leaseMs, owner);
  }

  acquireSlots(requests: SlotRequest[], leaseMs: number, owner?: string): Promise<boolean[]> {
    return this.running.acquireSlots(requests, leaseMs, owner);
  }

  acquireQueuedSlots(
    requests: QueuedSlotRequest[],
    leaseMs: number,
    owner?: string,
  ): Promise<QueuedSlotAnswer[]> {
    return this.running.acquireQueuedSlots(requests, leaseMs, owner);
  }

  renewSlots(slots: Slot[], leaseMs: number): Promise<Slot[]> {
    return this.running.renewSlots(slots, leaseMs);
  }

  releaseSlots(slots: Slot[]): Promise<void> {
    return this.running.releaseSlots(slots);
  }

  heldSlots(slots: Slot[]): Promise<boolean[]> {
    return this.running.heldSlots(slots);
  }

  reapExpiredSlots(limit: number): Promise<Slot[]> {
    return this.running.reapExpiredSlots(limit);
  }

  heartbeat(life: ReplicaLife, ttlMs: number, first: boolean): Promise<boolean> {
    return this.running.heartbeat(life, ttlMs, first);
  }

  leave(lifeId: string): Promise<void> {
    return this.running.leave(lifeId);
  }

  reapDeadReplicas(limit: number): Promise<DeadReplica[]> {
    return this.running.reapDeadReplicas(limit);
  }

  replicas(): Promise<ReplicaStatus[]> {
    return this.running.replicas();
  }

  onScheduleChange(listener: () => void): () => void {
    this.listeners.add(listener);
    this.subscribe();
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const subscriber = this.subscriber;
    this.subscriber = null;
    // disconnect, not quit: quit waits for a reply that may never come when Redis is down.
    subscriber?.disconnect();
  }

  private subscribe(): void {
    if (this.subscriber) return;
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', () => {}); // reconnects on its own; a wake-up is only an optimization
    subscriber.on('message', (_channel: string, message: string) => {
      if (message === this.instance) return;
      for (const listener of this.listeners) {
        try {
          listener();
        } catch {
          // A listener's failure must not stop the others from waking.
        }
      }
    });
    subscriber.subscribe(this.keys.changed).catch(() => {});
  }

  private run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return guard(() => runScript(this.redis, script, keys, args));
  }
}

function page(items: Job[], hasNextPage: boolean): Page<Job> {
  return { items, hasNextPage, endCursor: items.at(-1)?.id ?? null };
}
