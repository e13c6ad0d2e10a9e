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
  PoisonedClaim,
  QuarantineRequest,
  ReplicaLife,
  ReplicaStatus,
  Slot,
  SlotRequest,
} from '../../core/ports.ts';
import { DecodedJobs } from './decoded-jobs.ts';
import { guard, isEpochReply, isFencedReply, StoreResetError } from './errors.ts';
import {
  checkDecoded,
  decodeJob,
  encodeDefinition,
  encodeDueAt,
  encodeNext,
  encodePauseInfo,
} from './job-codec.ts';
import { type JobStoreKeys, jobStoreKeys } from './keys.ts';
import { type LuaScript, runScript } from './run-script.ts';
import { addJobScript } from './scripts/add-job.ts';
import { claimDueScript } from './scripts/claim-due.ts';
import { commitScript } from './scripts/commit.ts';
import { getJobsScript } from './scripts/get-jobs.ts';
import { listJobsScript } from './scripts/list-jobs.ts';
import { openEpochScript } from './scripts/open-epoch.ts';
import { quarantineScript } from './scripts/quarantine.ts';
import { removeJobScript } from './scripts/remove-job.ts';
import { heartbeatScript, liveReplicasScript, reapReplicasScript } from './scripts/replicas.ts';
import { acquireSlotsScript, heldSlotsScript, reapSlotsScript, renewSlotsScript } from './scripts/slots.ts';
import { updateJobScript } from './scripts/update-job.ts';

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
  /** The `{prefix}:epoch` marker claims and commits expect (see openEpoch). */
  private epoch: Promise<string> | null = null;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = jobStoreKeys(prefix);
  }

  async add(job: Job): Promise<void> {
    const k = this.keys;
    const added = await this.run(
      addJobScript,
      [k.jobs, k.next, k.ver, k.paused, k.due, k.ids, k.claimed, k.pauseinfo],
      [
        job.id,
        encodeDefinition(job),
        encodeNext(job),
        encodeDueAt(job),
        String(job.version),
        job.paused ? '1' : '0',
        k.changed,
        this.instance,
        encodePauseInfo(job),
      ],
    );
    if (added !== 1) throw new ConflictError(`job "${job.id}" already exists`);
  }

  async get(id: string): Promise<Job | null> {
    const [job] = await this.fetch([id]);
    return job ?? null;
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

  async update(job: Job, expectedVersion: number, schedule: 'keep' | 'replace'): Promise<void> {
    const k = this.keys;
    const result = await this.run(
      updateJobScript,
      [k.jobs, k.next, k.ver, k.paused, k.due, k.claimed, k.pauseinfo],
      [
        job.id,
        encodeDefinition(job),
        String(expectedVersion),
        String(job.version),
        job.paused ? '1' : '0',
        schedule,
        encodeNext(job),
        encodeDueAt(job),
        k.changed,
        this.instance,
        encodePauseInfo(job),
      ],
    );
    if (result === -1) throw new NotFoundError('job', job.id);
    if (result !== 1) throw new ConflictError(`job "${job.id}" is no longer at version ${expectedVersion}`);
  }

  async remove(id: string): Promise<Job | null> {
    const k = this.keys;
    const result = (await this.run(
      removeJobScript,
      [k.jobs, k.next, k.ver, k.paused, k.due, k.ids, k.claimed, k.running(id), k.pauseinfo],
      [id, k.changed, this.instance],
    )) as [string, string | null, string | null, number, string | null] | null;
    if (!result) return null;
    const [json, next, version, paused, info] = result;
    return decodeJob(json, next ?? null, version ?? null, paused === 1, info ?? null);
  }

  async claimDue(limit: number, leaseMs: number, lookaheadMs = 0, owner = ''): Promise<ClaimBatch> {
    const k = this.keys;
    const epoch = await this.openEpoch();
    const reply = (await this.fenced(owner, () =>
      this.runInEpoch(
        epoch,
        claimDueScript,
        [
          k.due,
          k.claims,
          k.claimed,
          k.fence,
          k.jobs,
          k.next,
          k.ver,
          k.paused,
          k.pauseinfo,
          k.epoch,
          k.claimowner,
          k.lives,
        ],
        [
          Math.max(0, Math.floor(limit)),
          Math.max(0, Math.floor(leaseMs)),
          Math.max(0, Math.floor(lookaheadMs)),
          epoch,
          owner,
        ],
      ),
    )) as [number, ...(string | null)[]];
    const [now, ...rest] = reply;
    const claims: Claim[] = [];
    const poisoned: PoisonedClaim[] = [];
    for (let i = 0; i + 5 < rest.length; i += 6) {
      const [id, token, json, next, version, info] = rest.slice(i, i + 6);
      if (!id || !token) continue;
      // One job that cannot be read must not stop the others: it is handed out to be quarantined.
      let job: Job;
      try {
        if (typeof json !== 'string') throw new Error('the definition is missing');
        job = decodeJob(json, next ?? null, version ?? null, false, info ?? null);
      } catch (error) {
        poisoned.push({ jobId: id, token, error: error instanceof Error ? error.message : String(error) });
        continue;
      }
      const problem = checkDecoded(job, id);
      if (problem) poisoned.push({ jobId: id, token, error: problem });
      else claims.push({ job, token });
    }
    return { now: Number(now), claims, poisoned };
  }

  async commit(requests: CommitRequest[], owner = ''): Promise<CommitOutcome[]> {
    if (requests.length === 0) return [];
    const k = this.keys;
    const args = requests.flatMap((r) => [r.jobId, r.token, encodeNext(r), encodeDueAt(r)]);
    const epoch = await this.openEpoch();
    return (await this.runInEpoch(
      epoch,
      commitScript,
      [k.claims, k.claimed, k.jobs, k.next, k.due, k.paused, k.epoch, k.claimowner, k.lives],
      [epoch, owner, ...args],
    )) as CommitOutcome[];
  }

  async quarantine(requests: QuarantineRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const k = this.keys;
    await this.run(
      quarantineScript,
      [k.claims, k.claimed, k.jobs, k.ver, k.paused, k.due, k.pauseinfo, k.claimowner],
      [
        k.changed,
        this.instance,
        ...requests.flatMap((r) => [
          r.jobId,
          r.token,
          encodePauseInfo({ pausedAt: r.at, pauseReason: r.reason }),
        ]),
      ],
    );
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

  async acquireSlot(slot: Slot, maxInstances: number, leaseMs: number, owner?: string): Promise<boolean> {
    const [acquired] = await this.acquireSlots([{ slot, maxInstances }], leaseMs, owner);
    return acquired === true;
  }

  async acquireSlots(requests: SlotRequest[], leaseMs: number, owner = ''): Promise<boolean[]> {
    if (requests.length === 0) return [];
    const k = this.keys;
    const replies = (await this.fenced(owner, () =>
      this.run(
        acquireSlotsScript,
        [k.slots, k.slotowner, k.lives, ...requests.map((r) => k.running(r.slot.jobId))],
        [
          leaseMs,
          owner,
          ...requests.flatMap((r) => [r.slot.executionId, slotMember(r.slot), r.maxInstances]),
        ],
      ),
    )) as number[];
    return replies.map((reply) => reply === 1);
  }

  async renewSlots(slots: Slot[], leaseMs: number): Promise<void> {
    if (slots.length === 0) return;
    await this.run(
      renewSlotsScript,
      [this.keys.slots, ...slots.map((s) => this.keys.running(s.jobId))],
      [leaseMs, ...slots.flatMap((s) => [s.executionId, slotMember(s)])],
    );
  }

  async releaseSlots(slots: Slot[]): Promise<void> {
    if (slots.length === 0) return;
    const multi = this.redis.multi();
    for (const slot of slots) multi.zrem(this.keys.running(slot.jobId), slot.executionId);
    const members = slots.map(slotMember);
    multi.zrem(this.keys.slots, ...members);
    multi.hdel(this.keys.slotowner, ...members);
    await guard(() => multi.exec());
  }

  async heldSlots(slots: Slot[]): Promise<boolean[]> {
    if (slots.length === 0) return [];
    const replies = (await this.run(heldSlotsScript, [this.keys.slots], slots.map(slotMember))) as number[];
    return replies.map((reply) => reply === 1);
  }

  async reapExpiredSlots(limit: number): Promise<Slot[]> {
    const members = (await this.run(
      reapSlotsScript,
      [this.keys.slots, this.keys.slotowner],
      [limit],
    )) as string[];
    const slots = members.map(parseSlotMember);
    if (slots.length > 0) {
      // The running entries are expired already (they no longer count); this only tidies up.
      const pipeline = this.redis.pipeline();
      for (const slot of slots) pipeline.zrem(this.keys.running(slot.jobId), slot.executionId);
      await guard(() => pipeline.exec());
    }
    return slots;
  }

  async heartbeat(life: ReplicaLife, ttlMs: number, first: boolean): Promise<boolean> {
    const info = JSON.stringify({ id: life.id, instance: life.instance, startedAt: life.startedAt });
    const k = this.keys;
    const live = await this.run(
      heartbeatScript,
      [k.lives, k.lifeinfo],
      [life.id, ttlMs, first ? '1' : '0', info],
    );
    return live === 1;
  }

  async leave(lifeId: string): Promise<void> {
    await guard(() =>
      this.redis.multi().zrem(this.keys.lives, lifeId).hdel(this.keys.lifeinfo, lifeId).exec(),
    );
  }

  async reapDeadReplicas(limit: number): Promise<DeadReplica[]> {
    const k = this.keys;
    const reply = (await this.run(
      reapReplicasScript,
      [k.lives, k.lifeinfo, k.claims, k.claimowner, k.slots, k.slotowner],
      [Math.max(0, Math.floor(limit)), k.runningPrefix],
    )) as (string | number)[];
    const dead: DeadReplica[] = [];
    for (let i = 0; i < reply.length; ) {
      const life = parseLife(String(reply[i]));
      const claims = Number(reply[i + 1]);
      const count = Number(reply[i + 2]);
      const slots = reply.slice(i + 3, i + 3 + count).map((member) => parseSlotMember(String(member)));
      dead.push({ ...life, claims, slots });
      i += 3 + count;
    }
    return dead;
  }

  async replicas(): Promise<ReplicaStatus[]> {
    const k = this.keys;
    const reply = (await this.run(liveReplicasScript, [k.lives, k.lifeinfo], [])) as string[];
    const live: ReplicaStatus[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2)
      live.push({ ...parseLife(reply[i] as string), expiresAt: Number(reply[i + 1]) });
    return live.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
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

  private async fetch(ids: string[]): Promise<(Job | null)[]> {
    if (ids.length === 0) return [];
    const k = this.keys;
    const reply = (await this.run(getJobsScript, [k.jobs, k.next, k.ver, k.paused, k.pauseinfo], ids)) as (
      | string
      | number
      | null
    )[];
    return ids.map((_, i) => {
      const [json, next, version, paused, info] = reply.slice(5 * i, 5 * i + 5);
      if (typeof json !== 'string') return null;
      return decodeJob(
        json,
        (next as string | null) ?? null,
        (version as string | null) ?? null,
        paused === 1,
        (info as string | null) ?? null,
      );
    });
  }

  /** A script refusing a life that is no longer live: ReplicaExpiredError. */
  private async fenced<T>(owner: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isFencedReply(error)) throw new ReplicaExpiredError(owner);
      throw error;
    }
  }

  private run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return guard(() => runScript(this.redis, script, keys, args));
  }

  /** The epoch this store works in, read or created on first use and again after a reset. */
  private openEpoch(): Promise<string> {
    if (!this.epoch) {
      const opening = this.run(openEpochScript, [this.keys.epoch], [crypto.randomUUID()]).then(String);
      this.epoch = opening;
      // A failed open (Redis down) is tried again by the next call.
      opening.catch(() => {
        if (this.epoch === opening) this.epoch = null;
      });
    }
    return this.epoch;
  }

  /** A script that checks the epoch marker: a mismatch is a reset, reported once per epoch. */
  private async runInEpoch(
    epoch: string,
    script: LuaScript,
    keys: string[],
    args: (string | number)[],
  ): Promise<unknown> {
    try {
      return await this.run(script, keys, args);
    } catch (error) {
      if (!isEpochReply(error)) throw error;
      // The next claim opens the store again: a new marker, and tokens under the new epoch.
      const current = this.epoch;
      if (current && (await current.catch(() => null)) === epoch) this.epoch = null;
      throw new StoreResetError(epoch);
    }
  }
}

function page(items: Job[], hasNextPage: boolean): Page<Job> {
  return { items, hasNextPage, endCursor: items.at(-1)?.id ?? null };
}

/** JSON, so any id or execution id survives; Lua only compares these members, never parses them. */
function slotMember(slot: Slot): string {
  return JSON.stringify([slot.jobId, slot.executionId]);
}

function parseLife(json: string): ReplicaLife {
  const life = JSON.parse(json) as Partial<ReplicaLife> & { id: string };
  return { id: life.id, instance: life.instance ?? life.id, startedAt: life.startedAt ?? 0 };
}

function parseSlotMember(member: string): Slot {
  const [jobId, executionId] = JSON.parse(member) as [string, string];
  return { jobId, executionId };
}
