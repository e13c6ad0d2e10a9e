/**
 * The claim cycle on Redis: claimDue hands out due jobs under fencing tokens, commit finishes the
 * claims, quarantine pauses poison jobs; claims and commits check the store's epoch marker, so a
 * Redis that came back empty is detected (docs/design.md, sections 3 and 11). Part of the Redis
 * JobStore.
 */
import type { Redis } from 'ioredis';
import type { Job } from '../../core/job.ts';
import type {
  Claim,
  ClaimBatch,
  CommitOutcome,
  CommitRequest,
  PoisonedClaim,
  QuarantineRequest,
} from '../../core/ports.ts';
import { guard, isEpochReply, StoreResetError, unlessFenced } from './errors.ts';
import { checkDecoded, decodeJob, encodeDueAt, encodeNext, encodePauseInfo } from './job-codec.ts';
import type { JobStoreKeys } from './keys.ts';
import { type LuaScript, runScript } from './run-script.ts';
import { claimDueScript } from './scripts/claim-due.ts';
import { commitScript } from './scripts/commit.ts';
import { openEpochScript } from './scripts/open-epoch.ts';
import { quarantineScript } from './scripts/quarantine.ts';

export class RedisClaims {
  private readonly redis: Redis;
  private readonly keys: JobStoreKeys;
  /** The `{prefix}:epoch` marker claims and commits expect (see openEpoch). */
  private epoch: Promise<string> | null = null;

  constructor(redis: Redis, keys: JobStoreKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  async claimDue(limit: number, leaseMs: number, lookaheadMs = 0, owner = ''): Promise<ClaimBatch> {
    const k = this.keys;
    const epoch = await this.openEpoch();
    const reply = (await unlessFenced(owner, () =>
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
    )) as [number, number, ...(string | null)[]];
    const [now, remaining, ...rest] = reply;
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
    return { now: Number(now), claims, poisoned, remaining: Number(remaining) };
  }

  async commit(requests: CommitRequest[], owner = ''): Promise<CommitOutcome[]> {
    if (requests.length === 0) return [];
    const k = this.keys;
    const args = requests.flatMap((r) => [r.jobId, r.token, encodeNext(r), encodeDueAt(r)]);
    const epoch = await this.openEpoch();
    return (await this.runInEpoch(
      epoch,
      commitScript,
      [k.claims, k.claimed, k.jobs, k.next, k.due, k.paused, k.epoch, k.claimowner, k.lives, k.changes],
      [epoch, owner, ...args],
    )) as CommitOutcome[];
  }

  async quarantine(requests: QuarantineRequest[], instance: string): Promise<void> {
    if (requests.length === 0) return;
    const k = this.keys;
    await this.run(
      quarantineScript,
      [k.claims, k.claimed, k.jobs, k.ver, k.paused, k.due, k.pauseinfo, k.claimowner, k.changes],
      [
        k.changed,
        instance,
        ...requests.flatMap((r) => [
          r.jobId,
          r.token,
          encodePauseInfo({ pausedAt: r.at, pauseReason: r.reason, pausedBy: 'system' }),
        ]),
      ],
    );
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
