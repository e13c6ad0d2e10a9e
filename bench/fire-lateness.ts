/**
 * Start lateness of 1,000 jobs firing every second, each tracked in PostgreSQL, with the job store
 * in Redis; side by side with a bare setTimeout loop over the same 1,000 slots and BullMQ job
 * schedulers (`every: 1000` and the cron pattern `* * * * * *`, a no-op worker, nothing recorded),
 * one after the other in the same run. Prints p50/p99/max lateness, missed and duplicate fires
 * for each, and the ratios.
 *
 *   node bench/fire-lateness.ts [jobs=1000] [seconds=20] [bullmq=yes|no]
 *
 * Needs REDIS_URL / DATABASE_URL (or the local defaults). Not a test: figures vary with the machine.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { createMemoryEventBus } from '../src/adapters/memory/event-bus.ts';
import { openPostgres } from '../src/adapters/postgres/connect.ts';
import { createPostgresExecutionLog } from '../src/adapters/postgres/execution-log.ts';
import { migrate } from '../src/adapters/postgres/migrate.ts';
import { createRedisJobStore } from '../src/adapters/redis/job-store.ts';
import { JobService } from '../src/core/job-service.ts';
import { Scheduler } from '../src/core/scheduler/scheduler.ts';
import { TaskRegistry } from '../src/tasks/registry.ts';
import { type Comparison, clearPrefix, compare, REDIS_URL, times, withDatabase } from './support.ts';

const JOBS = Number(process.argv[2] ?? 1000);
const SECONDS = Number(process.argv[3] ?? 20);
const WITH_BULLMQ = process.argv[4] !== 'no';

function summary(name: string, lateness: number[], expected: number, duplicates: number) {
  const sorted = [...lateness].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
  const row = {
    name,
    fires: sorted.length,
    expected,
    missed: expected - sorted.length + duplicates,
    duplicates,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1) ?? Number.NaN,
  };
  console.log(
    `${name.padEnd(28)} fires ${row.fires}/${expected}  missed ${row.missed}  dup ${duplicates}  ` +
      `p50 ${row.p50.toFixed(1)} ms  p99 ${row.p99.toFixed(1)} ms  max ${row.max.toFixed(1)} ms`,
  );
  return row;
}

/** The peer: one timer per job, re-armed for its intended slot (an early wake re-arms). */
async function bareTimers(start: number): Promise<ReturnType<typeof summary>> {
  const lateness: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  await Promise.all(
    Array.from({ length: JOBS }, (_, job) => {
      return new Promise<void>((resolve) => {
        let k = 0;
        const arm = () => {
          const slot = start + k * 1000;
          const fire = () => {
            const now = Date.now();
            if (now < slot) return void setTimeout(fire, slot - now);
            const key = `${job}@${slot}`;
            if (seen.has(key)) duplicates++;
            seen.add(key);
            lateness.push(now - slot);
            k++;
            if (k < SECONDS) arm();
            else resolve();
          };
          setTimeout(fire, slot - Date.now());
        };
        arm();
      });
    }),
  );
  return summary('bare setTimeout loop', lateness, JOBS * SECONDS, duplicates);
}

/** BullMQ job schedulers with a no-op worker; lateness from the fire's due time (its timestamp plus delay). */
async function bullmq(
  start: number,
  repeat: { every: number; startDate: number } | { pattern: string },
  name: string,
) {
  const connection = { url: REDIS_URL };
  const prefix = `bull-bench-${crypto.randomUUID().slice(0, 8)}`;
  const queue = new Queue('lateness', { connection, prefix });
  const lateness: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  const end = start + SECONDS * 1000;
  for (let i = 0; i < JOBS; i += 100)
    await Promise.all(
      Array.from({ length: Math.min(100, JOBS - i) }, (_, j) =>
        queue.upsertJobScheduler(`bull-${i + j}`, repeat, { name: 'noop', data: { id: i + j } }),
      ),
    );
  const worker = new Worker(
    'lateness',
    async (job) => {
      const now = Date.now();
      const due = job.timestamp + (job.opts.delay ?? 0);
      if (due < start - 500 || due >= end - 500) return;
      // Both fire on whole seconds: one fire per job and second.
      const key = `${job.data.id}@${Math.round(due / 1000)}`;
      if (seen.has(key)) duplicates++;
      seen.add(key);
      lateness.push(now - due);
    },
    { connection, prefix, concurrency: JOBS },
  );
  await new Promise((resolve) => setTimeout(resolve, end + 1_500 - Date.now()));
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  return summary(name, lateness, JOBS * SECONDS, duplicates);
}

function kairos(): Promise<ReturnType<typeof summary>> {
  return withDatabase((url) => kairosOn(url));
}

async function kairosOn(url: string): Promise<ReturnType<typeof summary>> {
  const connection = openPostgres(url);
  await migrate(connection);
  // After the database is made and migrated (seconds on a loaded machine), so the first fire is not
  // due before the jobs are added.
  const start = Math.ceil(Date.now() / 1000) * 1000 + 3000;
  const redis = new Redis(REDIS_URL);
  const prefix = `kairos-bench:${crypto.randomUUID()}`;
  const lateness: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  const tasks = new TaskRegistry();
  tasks.defineTask('noop', (_args, ctx) => {
    const key = `${ctx.jobId}@${ctx.scheduledFor}`;
    if (seen.has(key)) duplicates++;
    seen.add(key);
    lateness.push(Date.now() - ctx.scheduledFor);
  });
  const store = createRedisJobStore({ redis, prefix });
  const scheduler = new Scheduler({
    store,
    log: createPostgresExecutionLog(connection.db),
    bus: createMemoryEventBus(),
    tasks,
    instance: 'bench',
  });
  scheduler.events.on('error', ({ error, during }) => console.error('scheduler error during', during, error));
  const service = JobService.of(scheduler);
  for (let i = 0; i < JOBS; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, JOBS - i) }, (_, j) =>
        service.addJob({
          id: `job-${i + j}`,
          task: 'noop',
          trigger: { interval: { seconds: 1, startDate: start, endDate: start + (SECONDS - 1) * 1000 } },
        }),
      ),
    );
  }
  scheduler.start();
  await new Promise((resolve) => setTimeout(resolve, start + SECONDS * 1000 + 2_000 - Date.now()));
  await scheduler.stop();
  const sql = postgres(url, { max: 1 });
  const rows =
    await sql`select count(*)::int as n, count(*) filter (where status = 'success')::int as ok from job_executions`;
  await sql.end();
  console.log(`  execution rows in PostgreSQL: ${rows[0]?.n} (success ${rows[0]?.ok})`);
  await clearPrefix(redis, prefix);
  await store.close(); // its own connections (a duplicate of redis) would keep the process alive
  redis.disconnect();
  await connection.close();
  return summary('kairos (redis + postgres)', lateness, JOBS * SECONDS, duplicates);
}

console.log(`${JOBS} jobs firing every second for ${SECONDS} s`);
const bare = await bareTimers(Math.ceil(Date.now() / 1000) * 1000 + 1000);
const ours = await kairos();
console.log(
  `ratio p99 kairos / bare: ${(ours.p99 / Math.max(bare.p99, 1)).toFixed(2)} (bare p99 floored at 1 ms)`,
);
const workload = `${JOBS.toLocaleString('en')} no-op jobs every 1 s, start lateness (${ours.missed} missed, ${ours.duplicates} dup)`;
const rows: Comparison[] = [
  {
    workload,
    kairos: `p99 ${ours.p99.toFixed(0)} ms`,
    peer: `bare timers p99 ${bare.p99.toFixed(0)} ms`,
    ratio: times(ours.p99 / Math.max(bare.p99, 1)),
    goal: '<= 2x',
    met: ours.p99 <= 2 * Math.max(bare.p99, 1) && ours.missed === 0 && ours.duplicates === 0,
  },
];
if (WITH_BULLMQ) {
  const every = await bullmq(
    Math.ceil(Date.now() / 1000) * 1000 + 3000,
    // From a whole second: without a startDate each scheduler keeps the phase of its upsert time.
    { every: 1000, startDate: Math.ceil(Date.now() / 1000) * 1000 + 2000 },
    'bullmq every 1000',
  );
  const cron = await bullmq(
    Math.ceil(Date.now() / 1000) * 1000 + 3000,
    { pattern: '* * * * * *' },
    'bullmq cron * * * * * *',
  );
  console.log(
    `ratio p99 bullmq / kairos: every ${(every.p99 / Math.max(ours.p99, 1)).toFixed(1)}, cron ${(cron.p99 / Math.max(ours.p99, 1)).toFixed(1)} (goal: cron >= 10)`,
  );
  rows.push(
    {
      workload,
      kairos: `p99 ${ours.p99.toFixed(0)} ms`,
      peer: `BullMQ every p99 ${every.p99.toFixed(0)} ms`,
      ratio: times(ours.p99 / Math.max(every.p99, 1)),
      goal: '-',
      met: null,
    },
    {
      workload,
      kairos: `p99 ${ours.p99.toFixed(0)} ms`,
      peer: `BullMQ cron p99 ${cron.p99.toFixed(0)} ms`,
      ratio: times(ours.p99 / Math.max(cron.p99, 1)),
      goal: '<= 0.10x',
      met: ours.p99 * 10 <= cron.p99,
    },
  );
}
compare('fire-lateness', rows);
