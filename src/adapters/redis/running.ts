/**
 * What runs, on Redis: the maxInstances slots of executions and the replica lives that hold them
 * (docs/design.md, section 11). Part of the Redis JobStore, kept apart from the job definitions
 * and their claims.
 */
import type { Redis } from 'ioredis';
import type {
  DeadReplica,
  QueuedSlotAnswer,
  QueuedSlotRequest,
  ReplicaLife,
  ReplicaStatus,
  Slot,
  SlotRequest,
} from '../../core/ports.ts';
import { guard, unlessFenced } from './errors.ts';
import type { JobStoreKeys } from './keys.ts';
import { type LuaScript, runScript } from './run-script.ts';
import { acquireQueuedSlotsScript } from './scripts/queued-slots.ts';
import { heartbeatScript, liveReplicasScript, reapReplicasScript } from './scripts/replicas.ts';
import {
  acquireSlotsScript,
  heldSlotsScript,
  reapSlotsScript,
  releaseSlotsScript,
  renewSlotsScript,
} from './scripts/slots.ts';

/** A cancel mark outlives the holder's next slot renewal by far; it goes with the slot's release. */
const CANCEL_MARK_TTL_MS = 60_000;

export class RedisRunning {
  private readonly redis: Redis;
  private readonly keys: JobStoreKeys;

  constructor(redis: Redis, keys: JobStoreKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  async acquireSlot(slot: Slot, maxInstances: number, leaseMs: number, owner?: string): Promise<boolean> {
    const [acquired] = await this.acquireSlots([{ slot, maxInstances }], leaseMs, owner);
    return acquired === true;
  }

  async acquireSlots(requests: SlotRequest[], leaseMs: number, owner = ''): Promise<boolean[]> {
    if (requests.length === 0) return [];
    const k = this.keys;
    const replies = (await unlessFenced(owner, () =>
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

  async acquireQueuedSlots(
    requests: QueuedSlotRequest[],
    leaseMs: number,
    owner = '',
  ): Promise<QueuedSlotAnswer[]> {
    if (requests.length === 0) return [];
    const k = this.keys;
    const [outcomes, marked] = (await unlessFenced(owner, () =>
      this.run(
        acquireQueuedSlotsScript,
        [
          k.slots,
          k.slotowner,
          k.lives,
          ...requests.flatMap((r) => [
            k.running(r.slot.jobId),
            k.waiting(r.slot.jobId),
            k.waitlease(r.slot.jobId),
          ]),
        ],
        [
          leaseMs,
          owner,
          k.cancelPrefix,
          CANCEL_MARK_TTL_MS,
          ...requests.flatMap((r) => [
            r.slot.executionId,
            slotMember(r.slot),
            r.maxInstances,
            r.order,
            r.limit,
            r.cancelOldest ? '1' : '0',
          ]),
        ],
      ),
    )) as [QueuedSlotAnswer['outcome'][], string[]];
    return outcomes.map((outcome) => ({ outcome, cancel: marked }));
  }

  async renewSlots(slots: Slot[], leaseMs: number): Promise<Slot[]> {
    if (slots.length === 0) return [];
    const marked = (await this.run(
      renewSlotsScript,
      [this.keys.slots, ...slots.map((s) => this.keys.running(s.jobId))],
      [leaseMs, this.keys.cancelPrefix, ...slots.flatMap((s) => [s.executionId, slotMember(s)])],
    )) as number[];
    return marked.map((position) => slots[position - 1] as Slot);
  }

  async releaseSlots(slots: Slot[]): Promise<void> {
    if (slots.length === 0) return;
    const k = this.keys;
    // A place in the queue (overlap policies) is given back the same way; so is a cancel mark.
    await this.run(
      releaseSlotsScript,
      [
        k.slots,
        k.slotowner,
        ...slots.flatMap((s) => [
          k.running(s.jobId),
          k.waiting(s.jobId),
          k.waitlease(s.jobId),
          `${k.cancelPrefix}${s.executionId}`,
        ]),
      ],
      slots.flatMap((s) => [s.executionId, slotMember(s)]),
    );
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
      const expiredAt = Number(reply[i + 1]);
      const claims = Number(reply[i + 2]);
      const count = Number(reply[i + 3]);
      const slots = reply.slice(i + 4, i + 4 + count).map((member) => parseSlotMember(String(member)));
      dead.push({ ...life, expiredAt, claims, slots });
      i += 4 + count;
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

  private run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return guard(() => runScript(this.redis, script, keys, args));
  }
}

/** JSON, so any id or execution id survives; Lua only compares these members, never parses them. */
function slotMember(slot: Slot): string {
  return JSON.stringify([slot.jobId, slot.executionId]);
}

function parseSlotMember(member: string): Slot {
  const [jobId, executionId] = JSON.parse(member) as [string, string];
  return { jobId, executionId };
}

function parseLife(json: string): ReplicaLife {
  const life = JSON.parse(json) as Partial<ReplicaLife> & { id: string };
  return { id: life.id, instance: life.instance ?? life.id, startedAt: life.startedAt ?? 0 };
}
