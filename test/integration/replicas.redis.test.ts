/**
 * Two scheduler replicas on one Redis and one PostgreSQL, 200 jobs firing every second for 10 s of
 * real time: every fire must run and be recorded exactly once (0 duplicates, 0 missed).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PostgresConnection } from '../../src/adapters/postgres/connect.ts';
import { createPostgresExecutionLog } from '../../src/adapters/postgres/execution-log.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { createRedisEventBus } from '../../src/adapters/redis/event-bus.ts';
import { createRedisJobStore } from '../../src/adapters/redis/job-store.ts';
import { JobService } from '../../src/core/job-service.ts';
import { Scheduler } from '../../src/core/scheduler/scheduler.ts';
import { TaskRegistry } from '../../src/tasks/registry.ts';
import {
  createTestDatabase,
  deleteRedisPrefix,
  postgresAvailability,
  REDIS_URL,
  redisAvailability,
  uniquePrefix,
} from '../support/services.ts';

const redisUp = await redisAvailability();
const postgresUp = await postgresAvailability();

const JOBS = 200;
const SECONDS = 10;

describe.skipIf(!redisUp.available || !postgresUp.available)('two replicas on one Redis', () => {
  let database: { url: string; drop: () => Promise<void> };
  let connection: PostgresConnection;
  const clients: Redis[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('replicas');
    connection = openPostgres(database.url);
    await migrate(connection);
  });

  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) await deleteRedisPrefix(prefix);
    for (const client of clients) client.disconnect();
    await connection?.close();
    await database?.drop();
  });

  it(`${JOBS} jobs every second for ${SECONDS} s: every fire runs and is recorded exactly once`, async () => {
    const prefix = uniquePrefix('replicas');
    prefixes.push(prefix);
    const runs = new Map<string, number>();
    const lateness: number[] = [];
    const replica = (instance: string) => {
      const redis = new Redis(REDIS_URL);
      clients.push(redis);
      const tasks = new TaskRegistry();
      tasks.defineTask('count', (_args, context) => {
        const key = `${context.jobId}@${context.scheduledFor}`;
        runs.set(key, (runs.get(key) ?? 0) + 1);
        lateness.push(Date.now() - context.scheduledFor);
      });
      const scheduler = new Scheduler({
        store: createRedisJobStore({ redis, prefix }),
        log: createPostgresExecutionLog(connection.db),
        bus: createRedisEventBus({ redis, prefix }),
        tasks,
        instance,
        // Small claim batches make the replicas interleave within each second, racing for the same jobs.
        claimBatchSize: 25,
      });
      return { scheduler, service: JobService.of(scheduler) };
    };
    const a = replica('a');
    const b = replica('b');
    const start = Math.ceil(Date.now() / 1000) * 1000 + 2_000;
    await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        a.service.addJob({
          id: `job-${i}`,
          task: 'count',
          // Exactly-once is the point here, not lateness: a loaded machine must not turn a late
          // fire into a coalesced or skipped one.
          coalesce: false,
          misfireGraceTimeMs: null,
          maxInstances: 10,
          trigger: { interval: { seconds: 1, startDate: start, endDate: start + (SECONDS - 1) * 1000 } },
        }),
      ),
    );
    a.scheduler.start();
    b.scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, start + SECONDS * 1000 + 1_500 - Date.now()));
    await Promise.all([a.scheduler.stop(), b.scheduler.stop()]);

    const expected = JOBS * SECONDS;
    const duplicates = [...runs.values()].filter((n) => n > 1).length;
    const rows = await a.scheduler.log.list({ first: expected * 2 });
    const byReplica = { a: 0, b: 0 } as Record<string, number>;
    for (const row of rows.items) byReplica[row.instance] = (byReplica[row.instance] ?? 0) + 1;
    lateness.sort((x, y) => x - y);
    console.log(
      `replicas: ${rows.items.length} rows (a ${byReplica.a}, b ${byReplica.b}), ${runs.size} distinct fires run, ` +
        `${duplicates} duplicates, start lateness p50 ${lateness[Math.floor(lateness.length / 2)]} ms ` +
        `p99 ${lateness[Math.floor(lateness.length * 0.99)]} ms`,
    );
    expect(duplicates).toBe(0);
    expect(runs.size).toBe(expected);
    expect(rows.items).toHaveLength(expected);
    expect(rows.items.every((r) => r.status === 'success')).toBe(true);
    for (let i = 0; i < JOBS; i++) {
      for (let k = 0; k < SECONDS; k++) expect(runs.get(`job-${i}@${start + k * 1000}`)).toBe(1);
    }
  }, 60_000);
});
