/**
 * Churn: add, update and remove throughput with 50 operations in flight, job store in Redis,
 * through JobService as the API calls it (validation, trigger compilation, the store's scripts;
 * no audit log). Side by side in the same run: BullMQ's job schedulers, `upsertJobScheduler` to
 * add and to change the pattern, `removeJobScheduler` to remove. Rounds alternate Kairos and
 * BullMQ; medians are printed.
 *
 *   node bench/churn.ts [jobs=20000] [rounds=3] [kairos|bullmq|both]
 *
 * 20,000 by default: Kairos removes ~100-200k jobs/s, so 5,000 made a phase of 25-50 ms, where a
 * GC pause or another process's time slice moved the ratio by half (1.34-2.48 in three runs).
 *
 * One side alone is for a profile (node --cpu-prof bench/churn.ts 5000 1 kairos).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createMemoryEventBus } from '../src/adapters/memory/event-bus.ts';
import { createMemoryExecutionLog } from '../src/adapters/memory/execution-log.ts';
import { createRedisJobStore } from '../src/adapters/redis/job-store.ts';
import { JobService } from '../src/core/job-service.ts';
import { Scheduler } from '../src/core/scheduler/scheduler.ts';
import { TaskRegistry } from '../src/tasks/registry.ts';
import {
  clearPrefix,
  compare,
  loadAverage,
  median,
  printTable,
  REDIS_URL,
  report,
  times,
} from './support.ts';

const JOBS = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const ONLY = process.argv[4] ?? 'both';
const IN_FLIGHT = 50;

interface Rates {
  add: number;
  update: number;
  remove: number;
  /** This process's CPU per operation over the three phases, µs (less noisy than the rates on a shared machine). */
  cpuUs: number;
}

/** Runs op(0..count-1) with `IN_FLIGHT` at a time; operations per second. */
async function throughput(count: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, count) }, async () => {
      while (next < count) await op(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

function cpuPerOp(since: NodeJS.CpuUsage, ops: number): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / ops;
}

async function kairos(jobs = JOBS): Promise<Rates> {
  const redis = new Redis(REDIS_URL);
  const prefix = `kairos-churn:${crypto.randomUUID()}`;
  const tasks = new TaskRegistry();
  tasks.defineTask('noop', () => {});
  const store = createRedisJobStore({ redis, prefix });
  // Not started: the service's wake-ups are no-ops, as on a replica busy elsewhere.
  const scheduler = new Scheduler({
    store,
    log: createMemoryExecutionLog(),
    bus: createMemoryEventBus(),
    tasks,
    instance: 'churn',
  });
  const service = JobService.of(scheduler);
  const id = (i: number) => `job-${i}`;
  const cpu = process.cpuUsage();
  const add = await throughput(jobs, (i) =>
    service.addJob({
      id: id(i),
      task: 'noop',
      args: { i },
      trigger: { cron: { expression: '*/5 * * * *' } },
    }),
  );
  const update = await throughput(jobs, (i) =>
    service.updateJob(id(i), { trigger: { cron: { expression: '*/10 * * * *' } } }),
  );
  const remove = await throughput(jobs, (i) => service.removeJob(id(i)));
  const cpuUs = cpuPerOp(cpu, 3 * jobs);
  if ((await store.count()) !== 0) throw new Error('kairos: jobs left after removing all');
  await clearPrefix(redis, prefix);
  await store.close();
  redis.disconnect();
  return { add, update, remove, cpuUs };
}

async function bullmq(jobs = JOBS): Promise<Rates> {
  const prefix = `bull-churn-${crypto.randomUUID().slice(0, 8)}`;
  const queue = new Queue('churn', { connection: { url: REDIS_URL }, prefix });
  const id = (i: number) => `job-${i}`;
  const cpu = process.cpuUsage();
  const add = await throughput(jobs, (i) =>
    queue.upsertJobScheduler(id(i), { pattern: '*/5 * * * *' }, { name: 'noop', data: { i } }),
  );
  const update = await throughput(jobs, (i) =>
    queue.upsertJobScheduler(id(i), { pattern: '*/10 * * * *' }, { name: 'noop', data: { i } }),
  );
  const remove = await throughput(jobs, (i) => queue.removeJobScheduler(id(i)));
  const cpuUs = cpuPerOp(cpu, 3 * jobs);
  if ((await queue.getJobSchedulersCount()) !== 0)
    throw new Error('bullmq: schedulers left after removing all');
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  return { add, update, remove, cpuUs };
}

console.log(`churn: ${JOBS} jobs added, updated, removed, ${IN_FLIGHT} in flight, ${ROUNDS} rounds`);
// A small round each, not counted: module loading, script loading and the JIT.
if (ONLY !== 'bullmq') await kairos(500);
if (ONLY !== 'kairos') await bullmq(500);
const ours: Rates[] = [];
const theirs: Rates[] = [];
for (let round = 0; round < ROUNDS; round++) {
  if (ONLY !== 'bullmq') ours.push(await kairos());
  if (ONLY !== 'kairos') theirs.push(await bullmq());
  console.log(`  round ${round + 1} done (load ${loadAverage()})`);
}
const med = (rates: Rates[], op: keyof Rates) =>
  rates.length ? median(rates.map((r) => r[op])) : Number.NaN;
const ops: (keyof Rates)[] = ['add', 'update', 'remove'];
const cpuRow = [
  'client CPU per op (µs)',
  med(ours, 'cpuUs').toFixed(0),
  med(theirs, 'cpuUs').toFixed(0),
  (med(theirs, 'cpuUs') / med(ours, 'cpuUs')).toFixed(2),
];
printTable(
  ['operation', 'kairos ops/s', 'bullmq ops/s', 'ratio'],
  [
    ...ops.map((op) => [
      op,
      med(ours, op).toFixed(0),
      med(theirs, op).toFixed(0),
      (med(ours, op) / med(theirs, op)).toFixed(2),
    ]),
    cpuRow,
  ],
);
console.log(`load average ${loadAverage()}; goal: kairos >= 2x bullmq`);
const perSecond = (value: number) => `${(value / 1000).toFixed(1)}k/s`;
compare(
  'churn',
  ops.map((op) => ({
    workload: `${op} of ${JOBS.toLocaleString('en')} jobs, 50 in flight (median of ${ROUNDS})`,
    kairos: perSecond(med(ours, op)),
    peer: `BullMQ ${perSecond(med(theirs, op))}`,
    ratio: times(med(ours, op) / med(theirs, op)),
    goal: '>= 2x',
    met: med(ours, op) >= 2 * med(theirs, op),
  })),
);
report('churn', {
  jobs: JOBS,
  inFlight: IN_FLIGHT,
  rounds: ROUNDS,
  kairos_cpu_us_per_op: Math.round(med(ours, 'cpuUs')),
  bullmq_cpu_us_per_op: Math.round(med(theirs, 'cpuUs')),
  ...Object.fromEntries(
    ops.flatMap((op) => [
      [`kairos_${op}_per_s`, Math.round(med(ours, op))],
      [`bullmq_${op}_per_s`, Math.round(med(theirs, op))],
      [`${op}_ratio`, Number((med(ours, op) / med(theirs, op)).toFixed(2))],
    ]),
  ),
});
process.exit(0);
