/**
 * Drain rate of a burst: 50,000 fires of a no-op task all due at once, job store in Redis, every
 * fire recorded in PostgreSQL. Side by side in the same run: the floor that bounds any tracked
 * scheduler here (the same rows written straight to PostgreSQL with the same batched statements, no
 * scheduling at all), BullMQ draining as many no-op jobs with one worker (nothing recorded
 * outside Redis; completed jobs removed), and pg-boss draining them on PostgreSQL (each completion
 * a row update), bench/pgboss-drain.ts.
 *
 *   node bench/burst.ts [fires=50000] [kairos]      (`kairos`: that side only, for a --cpu-prof)
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { createMemoryEventBus } from '../src/adapters/memory/event-bus.ts';
import { openPostgres } from '../src/adapters/postgres/connect.ts';
import { createPostgresExecutionLog } from '../src/adapters/postgres/execution-log.ts';
import { migrate } from '../src/adapters/postgres/migrate.ts';
import { createRedisJobStore } from '../src/adapters/redis/job-store.ts';
import type { Clock } from '../src/core/clock.ts';
import { systemClock } from '../src/core/clock.ts';
import type { Execution } from '../src/core/execution.ts';
import { uuidv7 } from '../src/core/ids.ts';
import { JobService } from '../src/core/job-service.ts';
import { Scheduler } from '../src/core/scheduler/scheduler.ts';
import { TaskRegistry } from '../src/tasks/registry.ts';
import { pgbossDrain } from './pgboss-drain.ts';
import { clearPrefix, compare, loadAverage, REDIS_URL, times, withDatabase } from './support.ts';

const FIRES = Number(process.argv[2] ?? 50_000);
const ONLY_KAIROS = process.argv[3] === 'kairos';
/** The worker's concurrency: Kairos claims and starts up to 1,000 fires a round. */
const BULL_CONCURRENCY = 1_000;

/** Jobs/s of one BullMQ worker draining FIRES waiting no-op jobs. */
async function bullmq(): Promise<number> {
  const connection = { url: REDIS_URL };
  const prefix = `bull-burst-${crypto.randomUUID().slice(0, 8)}`;
  const queue = new Queue('burst', { connection, prefix });
  for (let i = 0; i < FIRES; i += 1000)
    await queue.addBulk(
      Array.from({ length: Math.min(1000, FIRES - i) }, (_, j) => ({
        name: 'noop',
        data: { id: `job-${i + j}` },
        opts: { removeOnComplete: true, removeOnFail: true },
      })),
    );
  let done = 0;
  let drained: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    drained = resolve;
  });
  const started = performance.now();
  const worker = new Worker(
    'burst',
    async () => {
      if (++done === FIRES) drained();
    },
    { connection, prefix, concurrency: BULL_CONCURRENCY },
  );
  await all;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  return FIRES / seconds;
}

async function floor(): Promise<number> {
  return withDatabase(async (url) => {
    const connection = openPostgres(url);
    await migrate(connection);
    const log = createPostgresExecutionLog(connection.db);
    const now = Date.now();
    const rows: Execution[] = Array.from({ length: FIRES }, (_, i) => ({
      id: uuidv7(now),
      jobId: `job-${i}`,
      jobName: `job-${i}`,
      task: 'noop',
      status: 'running',
      triggerKind: 'scheduled',
      scheduledFor: now,
      startedAt: now,
      finishedAt: null,
      durationMs: null,
      attempt: 1,
      instance: 'floor',
      owner: null,
      dueAt: null,
      coversUntil: null,
      coveredFires: 1,
      error: null,
      result: null,
    }));
    const started = performance.now();
    for (let i = 0; i < FIRES; i += 1000) {
      const batch = rows.slice(i, i + 1000);
      await log.insert(batch);
      await log.finish(
        batch.map((r) => ({
          id: r.id,
          status: 'success',
          startedAt: r.startedAt,
          finishedAt: now,
          durationMs: 0,
          error: null,
          result: null,
        })),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    await connection.close();
    return FIRES / seconds;
  });
}

async function kairos(): Promise<{ runRate: number; recordedRate: number; ok: number }> {
  return withDatabase(async (url) => {
    const connection = openPostgres(url);
    await migrate(connection);
    const redis = new Redis(REDIS_URL);
    const prefix = `kairos-bench:${crypto.randomUUID()}`;
    let runs = 0;
    let allRun: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allRun = resolve;
    });
    const tasks = new TaskRegistry();
    tasks.defineTask('noop', () => {
      if (++runs === FIRES) allRun();
    });
    const scheduler = new Scheduler({
      store: createRedisJobStore({ redis, prefix }),
      log: createPostgresExecutionLog(connection.db),
      bus: createMemoryEventBus(),
      tasks,
      instance: 'bench',
    });
    scheduler.events.on('error', ({ error, during }) => console.error('error during', during, error));
    // Jobs are added through a scheduler whose clock runs two minutes behind, each due one minute
    // ago in real time: when the real scheduler starts, all of them are due at once.
    const past: Clock = { ...systemClock, now: () => Date.now() - 120_000 };
    const adder = new Scheduler({
      store: scheduler.store,
      log: scheduler.log,
      bus: scheduler.bus,
      tasks,
      clock: past,
    });
    const service = JobService.of(adder);
    const runDate = Date.now() - 60_000;
    for (let i = 0; i < FIRES; i += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, FIRES - i) }, (_, j) =>
          service.addJob({
            id: `job-${i + j}`,
            task: 'noop',
            misfireGraceTimeMs: null,
            trigger: { date: { runDate } },
          }),
        ),
      );
    }
    const ids = { length: await redis.zcard(`{${prefix}}:due`) };
    console.log(`added ${FIRES} jobs; ${ids.length} made due`);
    const started = performance.now();
    const progress = setInterval(() => console.log(`  ${runs} run`), 5000);
    scheduler.start();
    await done;
    clearInterval(progress);
    const runSeconds = (performance.now() - started) / 1000;
    await scheduler.stop();
    const recordedSeconds = (performance.now() - started) / 1000;
    const sql = postgres(url, { max: 1 });
    const [row] = await sql`select count(*) filter (where status = 'success')::int as ok from job_executions`;
    await sql.end();
    await clearPrefix(redis, prefix);
    redis.disconnect();
    await connection.close();
    return { runRate: FIRES / runSeconds, recordedRate: FIRES / recordedSeconds, ok: row?.ok ?? 0 };
  });
}

console.log(`burst of ${FIRES} due fires (load ${loadAverage()})`);
if (ONLY_KAIROS) {
  const ours = await kairos();
  console.log(
    `kairos: all recorded ${ours.recordedRate.toFixed(0)} fires/s (${ours.ok}/${FIRES} success rows)`,
  );
  process.exit(0);
}
const bare = await floor();
console.log(`postgres floor (the same batched writes, no scheduling): ${bare.toFixed(0)} rows/s`);
const bull = await bullmq();
console.log(`bullmq 6 drain (concurrency ${BULL_CONCURRENCY}, nothing recorded): ${bull.toFixed(0)} jobs/s`);
const boss = await pgbossDrain(FIRES);
console.log(
  `pg-boss 12 drain (10 workers x 100 a fetch): ${boss.completedPerSecond.toFixed(0)} jobs/s completed`,
);
const ours = await kairos();
console.log(
  `kairos (redis + postgres): ran ${ours.runRate.toFixed(0)} fires/s, all recorded ${ours.recordedRate.toFixed(0)} fires/s ` +
    `(${ours.ok}/${FIRES} success rows)`,
);
const rate = (perSecond: number) => `${(perSecond / 1000).toFixed(1)}k/s`;
const workload = `burst of ${FIRES.toLocaleString('en')} due fires, all recorded`;
compare('burst', [
  {
    workload,
    kairos: rate(ours.recordedRate),
    peer: `BullMQ ${rate(bull)}`,
    ratio: times(ours.recordedRate / bull),
    goal: '>= 2x',
    met: ours.recordedRate / bull >= 2,
  },
  {
    workload,
    kairos: rate(ours.recordedRate),
    peer: `pg-boss ${rate(boss.completedPerSecond)}`,
    ratio: times(ours.recordedRate / boss.completedPerSecond),
    goal: '-',
    met: null,
  },
  {
    workload,
    kairos: rate(ours.recordedRate),
    peer: `PostgreSQL floor ${rate(bare)}`,
    ratio: times(ours.recordedRate / bare),
    goal: '-',
    met: null,
  },
]);
console.log(`(load ${loadAverage()})`);
process.exit(0);
