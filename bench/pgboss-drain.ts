/**
 * The pg-boss peer of bench/burst.ts: a burst of N no-op jobs, all due at once, drained by pg-boss
 * workers on PostgreSQL (every job's completion is a row update, as Kairos records every fire). Run
 * next to the burst bench (`npm run bench -- burst pgboss-drain`); this one prints pg-boss alone.
 *
 *   node bench/pgboss-drain.ts [jobs=50000]
 */
import { PgBoss } from 'pg-boss';
import { loadAverage, report, withDatabase } from './support.ts';

const JOBS = Number(process.argv[2] ?? 50_000);
const QUEUE = 'drain';

const figures = await withDatabase(async (url) => {
  const boss = new PgBoss({ connectionString: url, max: 10 });
  boss.on('error', (error) => console.error('pg-boss error', error));
  await boss.start();
  await boss.createQueue(QUEUE);
  for (let i = 0; i < JOBS; i += 1000)
    await boss.insert(
      QUEUE,
      Array.from({ length: Math.min(1000, JOBS - i) }, (_, j) => ({ data: { i: i + j } })),
    );
  console.log(`inserted ${JOBS} jobs`);
  let done = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const started = performance.now();
  // Batches of 100 fetched per poll, 10 workers, polling every half second (its minimum).
  await boss.work(
    QUEUE,
    { batchSize: 100, localConcurrency: 10, pollingIntervalSeconds: 0.5 },
    async (jobs) => {
      done += jobs.length;
      if (done >= JOBS) allDone();
    },
  );
  await finished;
  const ranSeconds = (performance.now() - started) / 1000;
  // A graceful stop waits for the last completions to be written.
  await boss.stop({ graceful: true, timeout: 60_000 });
  const recordedSeconds = (performance.now() - started) / 1000;
  return { ranPerSecond: JOBS / ranSeconds, recordedPerSecond: JOBS / recordedSeconds };
});
console.log(
  `pg-boss drain of ${JOBS}: ran ${figures.ranPerSecond.toFixed(0)} jobs/s, all completed ` +
    `${figures.recordedPerSecond.toFixed(0)} jobs/s (load ${loadAverage()})`,
);
report('pgboss-drain', {
  jobs: JOBS,
  ranPerSecond: Math.round(figures.ranPerSecond),
  completedPerSecond: Math.round(figures.recordedPerSecond),
});
process.exit(0);
