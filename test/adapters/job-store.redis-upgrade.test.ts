/**
 * Redis job store data written by the layout before the version moved into the definition (the
 * definition without digits in front, the version in the `ver` hash): read as it is, written in
 * the new layout by the next update, and removed or quarantined without leaving a ver entry
 * behind.
 */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeDefinition, encodeNext, encodePauseInfo } from '../../src/adapters/redis/job-codec.ts';
import { createRedisJobStore } from '../../src/adapters/redis/job-store.ts';
import { type JobStoreKeys, jobStoreKeys } from '../../src/adapters/redis/keys.ts';
import type { Job } from '../../src/core/job.ts';
import type { JobStore } from '../../src/core/ports.ts';
import { makeJob } from '../contract/job-store.contract.ts';
import { redisAvailability, uniquePrefix } from '../support/services.ts';
import { connect, dropPrefix } from './redis-harness.ts';

const redis = await redisAvailability();

/** What the previous add script wrote for `job`. */
async function writeOldLayout(client: Redis, keys: JobStoreKeys, job: Job): Promise<void> {
  const multi = client
    .multi()
    .hset(keys.jobs, job.id, encodeDefinition(job).replace(/^~v\d+,?/, '~'))
    .hset(keys.next, job.id, encodeNext(job))
    .hset(keys.ver, job.id, String(job.version))
    .zadd(keys.ids, 0, job.id);
  if (job.paused) multi.sadd(keys.paused, job.id);
  else if (job.dueAt !== null) multi.zadd(keys.due, job.dueAt, job.id);
  const info = encodePauseInfo(job);
  if (info !== '') multi.hset(keys.pauseinfo, job.id, info);
  await multi.exec();
}

describe.skipIf(!redis.available)('redis JobStore: jobs stored by the previous layout', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function open(): { store: JobStore; client: Redis; keys: JobStoreKeys } {
    const prefix = uniquePrefix('job-store-upgrade');
    const client = connect();
    const store = createRedisJobStore({ redis: client, prefix });
    cleanups.push(async () => {
      await store.close();
      await dropPrefix(client, prefix);
      client.disconnect();
    });
    return { store, client, keys: jobStoreKeys(prefix) };
  }

  it('reads them as they were; an update writes the new layout and drops the ver entry', async () => {
    const { store, client, keys } = open();
    const at = (await store.now()) - 1000;
    const old = makeJob('old', { version: 7, nextRunTime: at, dueAt: at });
    const paused = makeJob('paused', { version: 3, paused: true, pausedAt: 5, pauseReason: 'why' });
    await writeOldLayout(client, keys, old);
    await writeOldLayout(client, keys, paused);
    await store.add(makeJob('new', { version: 2 }));

    expect(await store.get('old')).toEqual(old);
    expect((await store.list({ first: 10 })).items).toEqual([makeJob('new', { version: 2 }), old, paused]);
    const [claim] = (await store.claimDue(10, 60_000)).claims;
    expect(claim?.job).toEqual(old);

    await store.update({ ...paused, name: 'renamed', version: 4 }, 3, 'keep');
    expect(await client.hget(keys.ver, 'paused')).toBeNull();
    expect(await client.hget(keys.jobs, 'paused')).toMatch(/^~v4[,{]/);
    expect(await store.get('paused')).toEqual({ ...paused, name: 'renamed', version: 4 });
    // The compare-and-set reads the old layout's version too.
    await expect(store.update({ ...old, version: 8 }, 6, 'keep')).rejects.toThrow(/version 6/);
  });

  it('quarantine bumps the version where it is kept; remove leaves no ver entry', async () => {
    const { store, client, keys } = open();
    const at = (await store.now()) - 1000;
    await writeOldLayout(client, keys, makeJob('a', { version: 7, nextRunTime: at, dueAt: at }));
    await writeOldLayout(client, keys, makeJob('b', { version: 2 }));
    const stored = await client.hget(keys.jobs, 'a');
    const batch = await store.claimDue(10, 60_000);
    const token = batch.claims[0]?.token as string;
    await store.quarantine([{ jobId: 'a', token, reason: 'poison', at: batch.now }]);
    expect(await client.hget(keys.ver, 'a')).toBe('8');
    expect(await client.hget(keys.jobs, 'a')).toBe(stored);
    expect(await store.get('a')).toMatchObject({ version: 8, paused: true, pauseReason: 'poison' });

    expect(await store.remove('a')).toMatchObject({ id: 'a', version: 8 });
    expect(await store.remove('b')).toEqual(makeJob('b', { version: 2 }));
    expect(await client.exists(keys.ver, keys.jobs, keys.next, keys.ids, keys.paused, keys.pauseinfo)).toBe(
      0,
    );
  });
});
