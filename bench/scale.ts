/**
 * Scale of the Redis job store: a small store (1,000 jobs) and a large one (1,000,000 by default),
 * each loaded through the store's own add script (its codec, 2,000 calls in flight), schedules
 * spread over the next day. For each:
 * - the claim round the scheduler makes (claimDue with the default batch of 1,000, a 30 s lease):
 *   with 1,000 jobs made due at random places in the store, and with nothing due; then the commit
 *   that puts those jobs back (median of the rounds, which alternate between the two stores);
 * - Redis memory per job: MEMORY USAGE of each of the store's keys, and the used_memory delta of
 *   the load (the Redis is shared, so that one is noisier);
 * - RSS of a replica: a Scheduler process (Redis store, memory history) running over the store.
 * Keys live under a private prefix, deleted at the end (SCAN + UNLINK).
 *
 *   node bench/scale.ts [jobs=1000000] [rounds=10]
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { createMemoryEventBus } from '../src/adapters/memory/event-bus.ts';
import { createMemoryExecutionLog } from '../src/adapters/memory/execution-log.ts';
import { createRedisJobStore } from '../src/adapters/redis/job-store.ts';
import type { Job } from '../src/core/job.ts';
import { buildJob } from '../src/core/job-factory.ts';
import type { JobStore } from '../src/core/ports.ts';
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

const BATCH = 1_000;
const LEASE_MS = 30_000;
const DAY = 86_400_000;

function tasks(): TaskRegistry {
  const registry = new TaskRegistry();
  registry.defineTask('noop', () => {});
  return registry;
}

if (process.argv[2] === 'replica') await replica(process.argv[3] as string);

const JOBS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 10);

/** The replica side: a scheduler over the store, its RSS after it settled, as one JSON line. */
async function replica(prefix: string): Promise<never> {
  const redis = new Redis(REDIS_URL);
  const scheduler = new Scheduler({
    store: createRedisJobStore({ redis, prefix }),
    log: createMemoryExecutionLog(),
    bus: createMemoryEventBus(),
    tasks: tasks(),
    instance: 'scale-replica',
  });
  scheduler.start();
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  globalThis.gc?.();
  console.log(JSON.stringify({ rssBytes: process.memoryUsage().rss }));
  await scheduler.stop();
  redis.disconnect();
  process.exit(0);
}

function replicaRss(prefix: string): Promise<number> {
  const child = spawn(process.execPath, ['--expose-gc', 'bench/scale.ts', 'replica', prefix], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`replica exited ${code}: ${out}`));
      else resolve((JSON.parse(line) as { rssBytes: number }).rssBytes);
    }),
  );
}

const id = (i: number) => `job-${String(i).padStart(7, '0')}`;

async function load(store: JobStore, count: number, now: number): Promise<void> {
  const template = buildJob(
    { id: 'template', task: 'noop', trigger: { cron: { expression: '*/5 * * * *' } } },
    { now, defaultTimezone: 'UTC', tasks: tasks(), newId: () => 'template' },
  );
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 2_000 }, async () => {
      while (next < count) {
        const i = next++;
        // Every five minutes over the next day: a schedule that is due at a random place.
        const at = now + 300_000 * (1 + Math.floor(Math.random() * (DAY / 300_000)));
        const job: Job = { ...template, id: id(i), name: id(i), nextRunTime: at, dueAt: at };
        await store.add(job);
        if (i % 200_000 === 199_999) console.log(`  ${i + 1} loaded`);
      }
    }),
  );
  console.log(`  loaded ${count} jobs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

interface Figures {
  jobs: number;
  claimMs: number;
  emptyClaimMs: number;
  commitMs: number;
  bytesPerJob: number;
  usedMemoryDeltaPerJob: number;
  keyBytes: Record<string, number>;
  replicaRssBytes: number;
}

interface Loaded {
  jobs: number;
  prefix: string;
  redis: Redis;
  store: JobStore;
  usedMemoryDeltaPerJob: number;
  keyBytes: Record<string, number>;
  claims: number[];
  empties: number[];
  commits: number[];
}

async function setUp(jobs: number): Promise<Loaded> {
  const redis = new Redis(REDIS_URL);
  const prefix = `kairos-scale:${crypto.randomUUID()}`;
  const store = createRedisJobStore({ redis, prefix });
  const usedBefore = await usedMemory(redis);
  console.log(`${jobs} jobs under {${prefix}}`);
  await load(store, jobs, await store.now());
  const usedDelta = (await usedMemory(redis)) - usedBefore;
  const keyBytes = await memoryByKey(redis, prefix);
  return {
    jobs,
    prefix,
    redis,
    store,
    usedMemoryDeltaPerJob: usedDelta / jobs,
    keyBytes,
    claims: [],
    empties: [],
    commits: [],
  };
}

/** One claim cycle: an empty claim, then 1,000 jobs made due at random places, claimed, committed. */
async function round(s: Loaded, counted: boolean): Promise<void> {
  const t0 = performance.now();
  const empty = await s.store.claimDue(BATCH, LEASE_MS);
  if (counted) s.empties.push(performance.now() - t0);
  if (empty.claims.length > 0) throw new Error('nothing should be due');
  const picked = new Set<string>();
  while (picked.size < Math.min(BATCH, s.jobs)) picked.add(id(Math.floor(Math.random() * s.jobs)));
  const past = (await s.store.now()) - 1_000;
  await s.redis.zadd(`{${s.prefix}}:due`, ...[...picked].flatMap((member) => [past, member]));
  const t1 = performance.now();
  const batch = await s.store.claimDue(BATCH, LEASE_MS);
  if (counted) s.claims.push(performance.now() - t1);
  if (batch.claims.length !== picked.size)
    throw new Error(`claimed ${batch.claims.length} of ${picked.size}`);
  const later = past + DAY;
  const t2 = performance.now();
  await s.store.commit(
    batch.claims.map(({ job, token }) => ({
      jobId: job.id,
      token,
      claimedNextRunTime: job.nextRunTime,
      nextRunTime: later,
      dueAt: later,
    })),
  );
  if (counted) s.commits.push(performance.now() - t2);
}

async function figures(s: Loaded): Promise<Figures> {
  const total = Object.values(s.keyBytes).reduce((a, b) => a + b, 0);
  return {
    jobs: s.jobs,
    claimMs: median(s.claims),
    emptyClaimMs: median(s.empties),
    commitMs: median(s.commits),
    bytesPerJob: total / s.jobs,
    usedMemoryDeltaPerJob: s.usedMemoryDeltaPerJob,
    keyBytes: s.keyBytes,
    replicaRssBytes: await replicaRss(s.prefix),
  };
}

async function tearDown(s: Loaded): Promise<void> {
  await clearPrefix(s.redis, s.prefix);
  await s.store.close();
  s.redis.disconnect();
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** MEMORY USAGE of each key of the store (sampled, as Redis does by default), by key name. */
async function memoryByKey(redis: Redis, prefix: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      // SAMPLES 0: every element counted (the default samples 5 of them; a few bytes a job apart between runs).
      const bytes = Number(await redis.memory('USAGE', key, 'SAMPLES', 0));
      out[key.slice(prefix.length + 3)] = bytes;
    }
  } while (cursor !== '0');
  return out;
}

console.log(`scale: claim round, memory per job and replica RSS at 1,000 and ${JOBS} jobs`);
const stores: Loaded[] = [];
let small: Figures;
let large: Figures;
try {
  stores.push(await setUp(Math.min(1_000, JOBS)), await setUp(JOBS));
  // Rounds alternate between the stores, so the JIT and the machine's load treat both alike;
  // round 0 warms up (the scripts' first load, the JIT) and is not counted.
  for (let r = 0; r <= ROUNDS; r++) for (const s of stores) await round(s, r > 0);
  small = await figures(stores[0] as Loaded);
  large = await figures(stores[1] as Loaded);
} finally {
  for (const s of stores) await tearDown(s);
}
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;
printTable(
  ['figure', `${small.jobs} jobs`, `${large.jobs} jobs`, 'ratio', 'goal'],
  [
    [
      'claim round, 1,000 due (ms)',
      small.claimMs.toFixed(1),
      large.claimMs.toFixed(1),
      (large.claimMs / small.claimMs).toFixed(2),
      '<= 1.5',
    ],
    [
      'claim round, none due (ms)',
      small.emptyClaimMs.toFixed(2),
      large.emptyClaimMs.toFixed(2),
      (large.emptyClaimMs / small.emptyClaimMs).toFixed(2),
      '',
    ],
    ['commit of 1,000 (ms)', small.commitMs.toFixed(1), large.commitMs.toFixed(1), '', ''],
    [
      'Redis bytes per job (MEMORY USAGE)',
      small.bytesPerJob.toFixed(0),
      large.bytesPerJob.toFixed(0),
      '',
      '<= 500',
    ],
    [
      'Redis bytes per job (used_memory delta)',
      small.usedMemoryDeltaPerJob.toFixed(0),
      large.usedMemoryDeltaPerJob.toFixed(0),
      '',
      '',
    ],
    ['replica RSS', mb(small.replicaRssBytes), mb(large.replicaRssBytes), '', ''],
  ],
);
console.log(
  `bytes per job by key at ${large.jobs}: ${Object.entries(large.keyBytes)
    .map(([key, bytes]) => `${key} ${(bytes / large.jobs).toFixed(0)}`)
    .join(', ')}`,
);
console.log(`load average ${loadAverage()}`);
const claimRatio = large.claimMs / small.claimMs;
const size = `${large.jobs.toLocaleString('en')} jobs in Redis`;
compare('scale', [
  {
    workload: `${size}: claim round of 1,000 due`,
    kairos: `${large.claimMs.toFixed(1)} ms`,
    peer: `at ${small.jobs.toLocaleString('en')} jobs ${small.claimMs.toFixed(1)} ms`,
    ratio: times(claimRatio),
    goal: '<= 1.5x',
    met: claimRatio <= 1.5,
  },
  {
    workload: `${size}: Redis bytes per job`,
    kairos: `${large.bytesPerJob.toFixed(0)} B`,
    peer: '-',
    ratio: '-',
    goal: '<= 500 B',
    met: large.bytesPerJob <= 500,
  },
  {
    workload: `${size}: replica RSS`,
    kairos: mb(large.replicaRssBytes),
    peer: `at ${small.jobs.toLocaleString('en')} jobs ${mb(small.replicaRssBytes)}`,
    ratio: times(large.replicaRssBytes / small.replicaRssBytes),
    goal: '-',
    met: null,
  },
]);
report('scale', {
  small: { ...small },
  large: { ...large },
  claimRatio: Number((large.claimMs / small.claimMs).toFixed(2)),
});
process.exit(0);
