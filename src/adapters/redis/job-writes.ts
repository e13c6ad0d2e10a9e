/**
 * The job store's commands on single jobs (add, get, update, remove), each one script call for
 * all the commands made in the same turn (batcher.ts): the API's concurrent requests cost one
 * call, not one each. Part of the Redis JobStore.
 */
import type { Redis } from 'ioredis';
import type { Job } from '../../core/job.ts';
import { Batcher } from './batcher.ts';
import { guard } from './errors.ts';
import {
  checkVersion,
  decodeJob,
  encodeDefinition,
  encodeDueAt,
  encodeNext,
  encodePauseInfo,
} from './job-codec.ts';
import type { JobStoreKeys } from './keys.ts';
import { type LuaScript, runScript } from './run-script.ts';
import { addJobScript } from './scripts/add-job.ts';
import { getJobsScript } from './scripts/get-jobs.ts';
import { removeJobScript } from './scripts/remove-job.ts';
import { updateJobScript } from './scripts/update-job.ts';

/** How long a removal's reply is kept for the same call resent (ioredis resends within seconds). */
const RECEIPT_MS = 30_000;

interface Update {
  job: Job;
  expectedVersion: number;
  schedule: 'keep' | 'replace';
}

export class RedisJobWrites {
  private readonly redis: Redis;
  private readonly keys: JobStoreKeys;
  /** Tags the change messages (see the store's onScheduleChange). */
  private readonly instance: string;
  private readonly adds = new Batcher<Job, number>((jobs) => this.addMany(jobs));
  private readonly gets = new Batcher<string, Job | null>((ids) => this.fetch(ids));
  private readonly updates = new Batcher<Update, number>((updates) => this.updateMany(updates));
  /**
   * Removals go in calls of up to 25: their script costs Redis per call more than per job (one
   * command per key for the whole call), and two calls for 50 in flight still let the process
   * decode one while Redis runs the other. Churn, 50 in flight, load 2: calls of 25 removed
   * 162-166k/s, of 50 113-125k/s, of 17 86-154k/s.
   */
  private readonly removals = new Batcher<string, Job | null>((ids) => this.removeMany(ids), 25);

  constructor(redis: Redis, keys: JobStoreKeys, instance: string) {
    this.redis = redis;
    this.keys = keys;
    this.instance = instance;
  }

  /** 1 added, 0 the id exists. */
  add(job: Job): Promise<number> {
    checkVersion(job.version);
    return this.adds.submit(job);
  }

  get(id: string): Promise<Job | null> {
    return this.gets.submit(id);
  }

  /** 1 updated, 0 not at expectedVersion, -1 no such job. */
  update(job: Job, expectedVersion: number, schedule: 'keep' | 'replace'): Promise<number> {
    checkVersion(job.version);
    return this.updates.submit({ job, expectedVersion, schedule });
  }

  /** The job as it was, or null when there was none. */
  remove(id: string): Promise<Job | null> {
    return this.removals.submit(id);
  }

  private async addMany(jobs: Job[]): Promise<number[]> {
    const k = this.keys;
    return (await this.run(
      addJobScript,
      [k.jobs, k.next, k.paused, k.due, k.ids, k.claimed, k.pauseinfo, k.changes],
      [
        k.changed,
        this.instance,
        ...jobs.flatMap((job) => [
          job.id,
          encodeDefinition(job),
          encodeNext(job),
          encodeDueAt(job),
          job.paused ? '1' : '0',
          encodePauseInfo(job),
        ]),
      ],
    )) as number[];
  }

  private async updateMany(updates: Update[]): Promise<number[]> {
    const k = this.keys;
    return (await this.run(
      updateJobScript,
      [k.jobs, k.next, k.ver, k.paused, k.due, k.claimed, k.pauseinfo, k.changes],
      [
        k.changed,
        this.instance,
        ...updates.flatMap(({ job, expectedVersion, schedule }) => [
          job.id,
          encodeDefinition(job),
          String(expectedVersion),
          job.paused ? '1' : '0',
          schedule,
          encodeNext(job),
          encodeDueAt(job),
          encodePauseInfo(job),
        ]),
      ],
    )) as number[];
  }

  private async removeMany(ids: string[]): Promise<(Job | null)[]> {
    const k = this.keys;
    const reply = (await this.run(
      removeJobScript,
      [
        k.jobs,
        k.next,
        k.ver,
        k.paused,
        k.due,
        k.ids,
        k.claimed,
        k.pauseinfo,
        k.changes,
        k.receipt(crypto.randomUUID()),
        ...ids.map((id) => k.running(id)),
      ],
      [k.changed, this.instance, RECEIPT_MS, ...ids],
    )) as (string | number | null)[];
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

  private run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return guard(() => runScript(this.redis, script, keys, args));
  }
}
