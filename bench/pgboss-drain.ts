/**
 * The pg-boss peer of bench/burst.ts (which runs it in the same run): a burst of N no-op jobs, all
 * due at once, drained by pg-boss workers on PostgreSQL (every job's completion is a row update, as
 * Kairos records every fire). Alone it prints pg-boss's figures only.
 *
 *   node bench/pgboss-drain.ts [jobs=50000]
 */
import { PgBoss } from 'pg-boss';
import { loadAverage, withDatabase } from './support.ts';

const QUEUE = 'drain';

/** Jobs/s pg-boss ran, and completed (completions written), draining `jobs` waiting no-op jobs. */
export function pgbossDrain(jobs: number): Promise<{ ranPerSecond: number; completedPerSecond: number }> {
  return withDatabase(async (url) => {
    const boss = new PgBoss({ connectionString: url, max: 10 });
    boss.on('error', (error) => console.error('pg-boss error', error));
    await boss.start();
    await boss.createQueue(QUEUE);
    for (let i = 0; i < jobs; i += 1000)
      await boss.insert(
        QUEUE,
        Array.from({ length: Math.min(1000, jobs - i) }, (_, j) => ({ data: { i: i + j } })),
      );
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
      async (batch) => {
        done += batch.length;
        if (done >= jobs) allDone();
      },
    );
    await finished;
    const ranSeconds = (performance.now() - started) / 1000;
    // A graceful stop waits for the last completions to be written.
    await boss.stop({ graceful: true, timeout: 60_000 });
    const completedSeconds = (performance.now() - started) / 1000;
    return { ranPerSecond: jobs / ranSeconds, completedPerSecond: jobs / completedSeconds };
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const jobs = Number(process.argv[2] ?? 50_000);
  const figures = await pgbossDrain(jobs);
  console.log(
    `pg-boss drain of ${jobs}: ran ${figures.ranPerSecond.toFixed(0)} jobs/s, all completed ` +
      `${figures.completedPerSecond.toFixed(0)} jobs/s (load ${loadAverage()})`,
  );
  process.exit(0);
}
