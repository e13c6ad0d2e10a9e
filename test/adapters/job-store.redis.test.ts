import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreResetError } from '../../src/adapters/redis/errors.ts';
import { createRedisJobStore } from '../../src/adapters/redis/job-store.ts';
import { jobStoreKeys } from '../../src/adapters/redis/keys.ts';
import { UnavailableError } from '../../src/core/errors.ts';
import type { JobStore } from '../../src/core/ports.ts';
import { type JobStoreHarness, jobStoreContract, makeJob } from '../contract/job-store.contract.ts';
import { slotQueueContract } from '../contract/slot-queue.contract.ts';
import { redisAvailability, uniquePrefix } from '../support/services.ts';
import { connect, dropPrefix, waitFor } from './redis-harness.ts';

const redis = await redisAvailability();

const open = async (): Promise<JobStoreHarness> => {
  const prefix = uniquePrefix('job-store');
  const a = connect();
  const b = connect();
  const store = createRedisJobStore({ redis: a, prefix });
  const other = createRedisJobStore({ redis: b, prefix });
  return {
    store,
    other,
    reach: (instant) => waitFor(async () => (await store.now()) >= instant),
    close: async () => {
      await store.close();
      await other.close();
      await dropPrefix(a, prefix);
      a.disconnect();
      b.disconnect();
    },
  };
};
jobStoreContract('redis', open, { skip: !redis.available });
slotQueueContract('redis', open, { skip: !redis.available });

describe.skipIf(!redis.available)('redis JobStore', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function open(prefix = uniquePrefix('job-store')): { store: JobStore; client: Redis } {
    const client = connect();
    const store = createRedisJobStore({ redis: client, prefix });
    cleanups.push(async () => {
      await store.close();
      await dropPrefix(client, prefix);
      client.disconnect();
    });
    return { store, client };
  }

  it('wakes other replicas when the schedule changes, not itself', async () => {
    const prefix = uniquePrefix('job-store');
    const { store } = open(prefix);
    const { store: other } = open(prefix);
    let heardByOther = 0;
    let heardBySelf = 0;
    other.onScheduleChange?.(() => heardByOther++);
    store.onScheduleChange?.(() => heardBySelf++);
    // The subscription is acknowledged asynchronously: keep changing until the other replica hears.
    let n = 0;
    await waitFor(async () => {
      await store.add(makeJob(`j${n++}`));
      return heardByOther > 0;
    });
    const before = heardByOther;
    await store.update(makeJob('j0', { version: 2 }), 1, 'keep');
    await store.remove('j0');
    await waitFor(() => heardByOther >= before + 2);
    expect(heardBySelf).toBe(0);
  });

  it('maps an unreachable Redis to UnavailableError', async () => {
    const client = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    const store = createRedisJobStore({ redis: client, prefix: uniquePrefix('down') });
    await expect(store.count()).rejects.toBeInstanceOf(UnavailableError);
    await expect(store.claimDue(10, 1000)).rejects.toBeInstanceOf(UnavailableError);
    await expect(store.add(makeJob('a'))).rejects.toBeInstanceOf(UnavailableError);
    await store.close();
    client.disconnect();
  });

  it('hands out a claimed job it cannot decode as poisoned; quarantine pauses it', async () => {
    const prefix = uniquePrefix('job-store');
    const { store, client } = open(prefix);
    const keys = jobStoreKeys(prefix);
    const at = (await store.now()) - 1000;
    for (const id of ['bad', 'good', 'shapeless', 'wrong-id'])
      await store.add(makeJob(id, { nextRunTime: at, dueAt: at }));
    // Corrupt definitions written straight into Redis (at version 1): not JSON, JSON of the wrong
    // shape, another id.
    await client.hset(keys.jobs, 'bad', '~v1{"id":"bad","name":');
    const shapeless = { ...makeJob('shapeless'), trigger: { kind: 'cron', timezone: 'UTC' } };
    await client.hset(keys.jobs, 'shapeless', `~v1${JSON.stringify(shapeless)}`);
    await client.hset(keys.jobs, 'wrong-id', `~v1${JSON.stringify(makeJob('someone-else'))}`);

    const batch = await store.claimDue(10, 60_000);
    expect(batch.claims.map((c) => c.job)).toEqual([makeJob('good', { nextRunTime: at, dueAt: at })]);
    expect(batch.poisoned).toEqual([
      { jobId: 'bad', token: expect.any(String), error: expect.stringMatching(/JSON/) },
      { jobId: 'shapeless', token: expect.any(String), error: expect.stringContaining('trigger (cron)') },
      { jobId: 'wrong-id', token: expect.any(String), error: expect.stringContaining('someone-else') },
    ]);
    expect(new Set([...batch.claims, ...batch.poisoned].map((c) => c.token)).size).toBe(4);

    const reason = 'the stored job could not be read';
    await store.quarantine(
      batch.poisoned.map((p) => ({ jobId: p.jobId, token: p.token, reason, at: batch.now })),
    );
    for (const id of ['bad', 'shapeless', 'wrong-id']) {
      expect(await client.sismember(keys.paused, id)).toBe(1);
      expect(await client.hget(keys.jobs, id)).toMatch(/^~v2[{]/);
      expect(JSON.parse((await client.hget(keys.pauseinfo, id)) as string)).toEqual({
        pausedAt: batch.now,
        pauseReason: reason,
        pausedBy: 'system',
      });
      expect(await client.hget(keys.claimed, id)).toBeNull();
    }
    // The definition after its version is left as it was; a job that decodes shows the pause.
    expect(await client.hget(keys.jobs, 'bad')).toBe('~v2{"id":"bad","name":');
    expect(await store.get('shapeless')).toMatchObject({
      paused: true,
      pausedAt: batch.now,
      pauseReason: reason,
    });
    // Only the good job's claim is left to wake up for; nothing else is due.
    expect(await client.zcard(keys.claims)).toBe(1);
    expect(await store.nextWakeAt()).toBe(batch.now + 60_000);
    expect((await store.claimDue(10, 60_000)).claims).toEqual([]);
  });

  it('a corrupt version does not stop quarantine', async () => {
    const prefix = uniquePrefix('job-store');
    const { store, client } = open(prefix);
    const keys = jobStoreKeys(prefix);
    const at = (await store.now()) - 1000;
    await store.add(makeJob('v', { nextRunTime: at, dueAt: at }));
    // Stored before the version moved into the definition, with a version that is not a number.
    const stored = (await client.hget(keys.jobs, 'v')) as string;
    await client.hset(keys.jobs, 'v', stored.replace(/^~v\d+,?/, '~'));
    await client.hset(keys.ver, 'v', 'not-a-number');
    const batch = await store.claimDue(10, 60_000);
    expect(batch.poisoned).toEqual([
      { jobId: 'v', token: expect.any(String), error: expect.stringContaining('version') },
    ]);
    await store.quarantine([
      { jobId: 'v', token: batch.poisoned[0]!.token, reason: 'bad version', at: batch.now },
    ]);
    expect(await store.get('v')).toMatchObject({ paused: true, pauseReason: 'bad version', version: 1 });
  });

  it('a change count that starts over after a flush never meets a value it had', async () => {
    const prefix = uniquePrefix('job-store');
    const { store, client } = open(prefix);
    const counts = [await store.changeCount?.()];
    await store.add(makeJob('a'));
    counts.push(await store.changeCount?.());
    await dropPrefix(client, prefix); // Redis came back empty: the jobs and the counter are gone
    counts.push(await store.changeCount?.());
    await store.add(makeJob('b'));
    counts.push(await store.changeCount?.());
    await dropPrefix(client, prefix);
    await store.add(makeJob('c')); // the first write after a flush starts the count again
    counts.push(await store.changeCount?.());
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1] as number);
  });

  it('callers of one turn share one read of the change count', async () => {
    const { store, client } = open();
    await store.add(makeJob('a'));
    await store.changeCount?.(); // Redis knows the script now: one EVALSHA per read, no EVAL after it
    const sent: string[] = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = (command, ...rest) => {
      sent.push(command.name);
      return send(command, ...rest);
    };
    const counts = await Promise.all(Array.from({ length: 50 }, () => store.changeCount?.()));
    client.sendCommand = send;
    expect(new Set(counts).size).toBe(1);
    expect(sent).toEqual(['evalsha']);
  });

  it('runs again after Redis forgot its scripts (SCRIPT FLUSH)', async () => {
    const { store, client } = open();
    await store.add(makeJob('a'));
    await client.script('FLUSH');
    await store.add(makeJob('b'));
    expect(await store.count()).toBe(2);
  });

  it('claimDue costs the same with 100,000 jobs stored as with 100', { timeout: 180_000 }, async () => {
    const measure = async (total: number) => {
      const { store } = open();
      const now = await store.now();
      const dueIds = new Set<string>();
      for (let start = 0; start < total; start += 5_000) {
        const adds: Promise<void>[] = [];
        for (let i = start; i < Math.min(total, start + 5_000); i++) {
          const due = i % (total / 10) === 0;
          const at = due ? now - 1_000 - i : now + 365 * 86_400_000 + i;
          if (due) dueIds.add(`job-${i}`);
          adds.push(store.add(makeJob(`job-${i}`, { nextRunTime: at, dueAt: at })));
        }
        await Promise.all(adds);
      }
      expect(await store.count()).toBe(total);
      const timings: number[] = [];
      for (let round = 0; round < 7; round++) {
        const started = performance.now();
        const batch = await store.claimDue(10, 60_000);
        timings.push(performance.now() - started);
        expect(new Set(batch.claims.map((c) => c.job.id))).toEqual(dueIds);
        // Hand the fires back unchanged, so the next round claims the same 10.
        const outcomes = await store.commit(
          batch.claims.map(({ job, token }) => ({
            jobId: job.id,
            token,
            claimedNextRunTime: job.nextRunTime,
            nextRunTime: job.nextRunTime,
            dueAt: job.dueAt,
          })),
        );
        expect(outcomes.every((o) => o === 'committed')).toBe(true);
      }
      timings.sort((x, y) => x - y);
      return timings[Math.floor(timings.length / 2)] as number;
    };
    const small = await measure(100);
    const large = await measure(100_000);
    console.log(
      `redis claimDue(10): median ${small.toFixed(2)} ms with 100 jobs, ${large.toFixed(2)} ms with 100,000 jobs (x${(large / small).toFixed(2)})`,
    );
  });
});

describe.skipIf(!redis.available)('redis JobStore epoch (issue 9: a flushed Redis is detected)', () => {
  it('refuses claims and commits once its keys are flushed, then reopens under a new epoch', async () => {
    const prefix = uniquePrefix('job-store-epoch');
    const client = connect();
    const store = createRedisJobStore({ redis: client, prefix });
    const keys = jobStoreKeys(prefix);
    try {
      const due = (at: number) => makeJob('e1', { nextRunTime: at, dueAt: at });
      await store.add(due(1));
      const [before] = (await store.claimDue(10, 60_000)).claims;
      expect(before?.token).toMatch(/^[0-9a-f-]{36}:1$/);
      const epoch = await client.get(keys.epoch);
      expect(before?.token.startsWith(`${epoch}:`)).toBe(true);

      await dropPrefix(client, prefix); // Redis came back empty
      await expect(store.claimDue(10, 60_000)).rejects.toBeInstanceOf(StoreResetError);
      // Reported once; the claim it held is gone with the data, so its commit is stale.
      expect(
        await store.commit([
          {
            jobId: 'e1',
            token: before?.token as string,
            claimedNextRunTime: 1,
            nextRunTime: null,
            dueAt: null,
          },
        ]),
      ).toEqual(['stale']);

      // The next claim round writes a new marker; the counter restarts, the token does not repeat.
      await store.add(due(1));
      const [after] = (await store.claimDue(10, 60_000)).claims;
      const epochAfter = await client.get(keys.epoch);
      expect(epochAfter).not.toBe(epoch);
      expect(after?.token).toBe(`${epochAfter}:1`);
      expect(after?.token).not.toBe(before?.token);
      expect(
        await store.commit([
          {
            jobId: 'e1',
            token: after?.token as string,
            claimedNextRunTime: 1,
            nextRunTime: null,
            dueAt: null,
          },
        ]),
      ).toEqual(['committed']);
    } finally {
      await store.close();
      await dropPrefix(client, prefix);
      client.disconnect();
    }
  });
});
