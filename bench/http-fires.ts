/**
 * The webhook task at scale (issue "The webhook task at scale"): N `http` jobs every second, all
 * due on the same whole second, POSTing to a local server in its own process. Kairos on Redis +
 * PostgreSQL (every fire recorded) next to a bare `setTimeout` + `fetch` loop, the same loop over
 * undici's pooled `request` (the client Kairos uses on Node: what the client alone costs) and BullMQ job
 * schedulers whose worker makes the same POST (nothing recorded), in the same run.
 * Prints per run: fires seen by the server, missed, duplicates, start lateness at the server
 * (p50/p99/max) and CPU per fire of the process that fires; then the ratios.
 *
 *   node bench/http-fires.ts [jobs=1000] [seconds=20] [kairos|bare|undici|bullmq: one side only]
 *
 * DIAG=1 prints, per second of Kairos's window, when its rows were inserted (claimed ahead: before
 * 0) and its handlers started, relative to the due time.
 */
import { spawn } from 'node:child_process';
import { Queue, Worker } from 'bullmq';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { createMemoryEventBus } from '../src/adapters/memory/event-bus.ts';
import { openPostgres } from '../src/adapters/postgres/connect.ts';
import { createPostgresExecutionLog } from '../src/adapters/postgres/execution-log.ts';
import { migrate } from '../src/adapters/postgres/migrate.ts';
import { createRedisJobStore } from '../src/adapters/redis/job-store.ts';
import { JobService } from '../src/core/job-service.ts';
import { Scheduler } from '../src/core/scheduler/scheduler.ts';
import { DEFAULT_CONNECTIONS_PER_ORIGIN } from '../src/tasks/http-transport.ts';
import { createBuiltinRegistry } from '../src/tasks/registry.ts';
import { upsertBullmqHerd, webhookGoals } from './http-goals.ts';
import { clearPrefix, REDIS_URL, withDatabase } from './support.ts';

const JOBS = Number(process.argv[2] ?? 1000);
const SECONDS = Number(process.argv[3] ?? 20);
/** `kairos`, `bare`, `undici` or `bullmq` runs one side only (for a profile: node --cpu-prof bench/http-fires.ts 1000 10 kairos). */
const ONLY = process.argv[4] ?? 'both';
const SETTLE_MS = 3_000;
/** Kairos's http task and the bare undici loop alike, as the service reads it from its env. */
const CONNECTIONS = Number(process.env.KAIROS_HTTP_CONNECTIONS_PER_ORIGIN ?? DEFAULT_CONNECTIONS_PER_ORIGIN);

interface Run {
  name: string;
  seen: number;
  expected: number;
  missed: number;
  duplicates: number;
  p50: number;
  p99: number;
  max: number;
  cpuMsPerFire: number;
}

async function startTarget(): Promise<{
  url: string;
  stats(): Promise<[string, number, number][]>;
  stop(): void;
}> {
  const child = spawn(process.execPath, ['bench/http-target.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve) =>
    child.stdout?.once('data', (chunk) => resolve(String(chunk).trim())),
  );
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/fire`,
    stats: async () => (await (await fetch(`${base}/stats`)).json()) as [string, number, number][],
    stop: () => child.kill(),
  };
}

function judge(name: string, fires: [string, number, number][], from: number, cpuMs: number): Run {
  const inWindow = fires.filter(
    ([, scheduledFor]) => scheduledFor >= from && scheduledFor < from + SECONDS * 1000,
  );
  const keys = new Set<string>();
  let duplicates = 0;
  const lateness: number[] = [];
  for (const [job, scheduledFor, at] of inWindow) {
    const key = `${job}@${scheduledFor}`;
    if (keys.has(key)) duplicates++;
    keys.add(key);
    lateness.push(at - scheduledFor);
  }
  lateness.sort((a, b) => a - b);
  const at = (q: number) =>
    lateness[Math.min(lateness.length - 1, Math.floor(lateness.length * q))] ?? Number.NaN;
  const expected = JOBS * SECONDS;
  const run = {
    name,
    seen: inWindow.length,
    expected,
    missed: expected - keys.size,
    duplicates,
    p50: at(0.5),
    p99: at(0.99),
    max: lateness.at(-1) ?? Number.NaN,
    cpuMsPerFire: cpuMs / Math.max(1, inWindow.length),
  };
  console.log(
    `${name.padEnd(30)} fires ${run.seen}/${expected}  missed ${run.missed}  dup ${duplicates}  ` +
      `p50 ${run.p50} ms  p99 ${run.p99} ms  max ${run.max} ms  CPU ${run.cpuMsPerFire.toFixed(3)} ms/fire`,
  );
  return run;
}

/** CPU (user + system, ms) this process spends from now until `until`. */
async function cpuUntil(from: number, until: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, from - Date.now())));
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * A bare loop: every second from SETTLE_MS before `from` until the end of the window, one
 * `send(job, scheduledFor)` per job, answers read and dropped. Returns the CPU of the window.
 */
async function bareLoop(
  from: number,
  prefix: string,
  send: (job: string, scheduledFor: string) => Promise<unknown>,
): Promise<number> {
  const end = from + SECONDS * 1000;
  const cpu = cpuUntil(from, end);
  const jobs = Array.from({ length: JOBS }, (_, i) => `${prefix}-${i}`);
  let slot = from - SETTLE_MS;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = Date.now();
      if (now < slot) return void setTimeout(tick, slot - now);
      const scheduledFor = new Date(slot).toISOString();
      for (const job of jobs) void send(job, scheduledFor).catch(() => {});
      slot += 1000;
      if (slot >= end + 1000) resolve();
      else setTimeout(tick, slot - Date.now());
    };
    tick();
  });
  return cpu;
}

const postHeaders = (job: string, scheduledFor: string) => ({
  'x-kairos-job-id': job,
  'x-kairos-scheduled-for': scheduledFor,
});

function bare(url: string, from: number): Promise<number> {
  return bareLoop(from, 'bare', (job, scheduledFor) =>
    fetch(url, { method: 'POST', headers: postHeaders(job, scheduledFor), body: job }).then((response) =>
      response.text(),
    ),
  );
}

/** The bare loop over undici's pooled request, with the Agent settings of src/tasks/http-transport.ts. */
async function bareUndici(url: string, from: number): Promise<number> {
  const { Agent, request } = await import('undici');
  const dispatcher = new Agent({ connections: CONNECTIONS, keepAliveTimeout: 30_000 });
  const cpu = await bareLoop(from, 'undici', (job, scheduledFor) =>
    request(url, { method: 'POST', headers: postHeaders(job, scheduledFor), body: job, dispatcher }).then(
      (response) => response.body.text(),
    ),
  );
  await dispatcher.close();
  return cpu;
}

/** BullMQ job schedulers (every 1 s) whose worker makes the same POST; nothing is recorded. */
async function bullmq(url: string, from: number): Promise<number> {
  const connection = { url: REDIS_URL };
  const prefix = `bull-bench-${crypto.randomUUID().slice(0, 8)}`;
  const queue = new Queue('webhooks', { connection, prefix });
  await upsertBullmqHerd(
    queue,
    Array.from({ length: JOBS }, (_, i) => `bull-${i}`),
    from - SETTLE_MS,
  );
  const worker = new Worker(
    'webhooks',
    async (job) => {
      // A scheduler's job is due at its creation time plus its delay.
      const scheduledFor = job.timestamp + (job.opts.delay ?? 0);
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'x-kairos-job-id': job.data.id,
          'x-kairos-scheduled-for': new Date(scheduledFor).toISOString(),
        },
        body: job.data.id,
      });
      await response.text();
    },
    { connection, prefix, concurrency: JOBS },
  );
  const cpu = await cpuUntil(from, from + SECONDS * 1000);
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  return cpu;
}

async function kairos(url: string, from: number): Promise<number> {
  return withDatabase(async (databaseUrl) => {
    const connection = openPostgres(databaseUrl);
    await migrate(connection);
    const redis = new Redis(REDIS_URL);
    const prefix = `kairos-bench:${crypto.randomUUID()}`;
    const store = createRedisJobStore({ redis, prefix });
    const scheduler = new Scheduler({
      store,
      log: createPostgresExecutionLog(connection.db),
      bus: createMemoryEventBus(),
      tasks: createBuiltinRegistry({ httpConnectionsPerOrigin: CONNECTIONS }),
      instance: 'bench',
    });
    scheduler.events.on('error', ({ error, during }) =>
      console.error('scheduler error during', during, error),
    );
    const service = JobService.of(scheduler);
    for (let i = 0; i < JOBS; i += 100)
      await Promise.all(
        Array.from({ length: Math.min(100, JOBS - i) }, (_, j) =>
          service.addJob({
            id: `job-${i + j}`,
            task: 'http',
            args: { url, method: 'POST', body: `job-${i + j}` },
            trigger: { cron: { expression: '* * * * * *' } },
          }),
        ),
      );
    scheduler.start();
    const cpu = await cpuUntil(from, from + SECONDS * 1000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await scheduler.stop();
    const byStatus = await connection.db.execute(
      sql`select status, count(*)::int as n from job_executions where scheduled_for >= ${new Date(from).toISOString()}::timestamptz and scheduled_for < ${new Date(from + SECONDS * 1000).toISOString()}::timestamptz group by status order by status`,
    );
    console.log('  kairos history in the window:', JSON.stringify(rowsOf(byStatus)));
    if (process.env.DIAG) await herds(connection.db, from);
    await store.close();
    await clearPrefix(redis, prefix);
    redis.disconnect();
    await connection.close();
    return cpu;
  });
}

const target = await startTarget();
try {
  console.log(
    `${JOBS} http jobs every second, all due on the same whole second, for ${SECONDS} s, ${CONNECTIONS} connections per origin (${new Date().toISOString()})`,
  );
  let peer: Run | null = null;
  let ours: Run | null = null;
  if (ONLY === 'both' || ONLY === 'bare') {
    const from = Math.ceil(Date.now() / 1000) * 1000 + SETTLE_MS;
    const cpu = await bare(target.url, from);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    peer = judge('bare setTimeout + fetch', await target.stats(), from, cpu);
  }
  let pooled: Run | null = null;
  if (ONLY === 'both' || ONLY === 'undici') {
    const from = Math.ceil(Date.now() / 1000) * 1000 + SETTLE_MS;
    const cpu = await bareUndici(target.url, from);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    pooled = judge('bare setTimeout + undici pool', await target.stats(), from, cpu);
  }
  if (ONLY === 'both' || ONLY === 'kairos') {
    const from = Math.ceil(Date.now() / 1000) * 1000 + SETTLE_MS + 2_000;
    const cpu = await kairos(target.url, from);
    ours = judge('kairos (redis + postgres)', await target.stats(), from, cpu);
  }
  let bull: Run | null = null;
  if (ONLY === 'both' || ONLY === 'bullmq') {
    const from = Math.ceil(Date.now() / 1000) * 1000 + SETTLE_MS + 2_000;
    const cpu = await bullmq(target.url, from);
    bull = judge('bullmq job schedulers', await target.stats(), from, cpu);
  }
  if (bull && pooled)
    console.log(
      `floor: bare undici pool / bullmq p99 ${(pooled.p99 / Math.max(1, bull.p99)).toFixed(2)} (the goal for kairos / bullmq is 0.33)`,
    );
  if (ours)
    webhookGoals('http-fires', `${JOBS} http jobs x 1 s`, ours, { bare: peer, undici: pooled, bullmq: bull });
} finally {
  target.stop();
}

/** Per second of the window: when the rows were inserted and the handlers started, from the due time. */
async function herds(db: ReturnType<typeof openPostgres>['db'], from: number): Promise<void> {
  const result = await db.execute(
    sql`select (extract(epoch from scheduled_for) * 1000)::float8 - ${from} as at, count(*)::int as n,
      min(extract(epoch from created_at - scheduled_for) * 1000)::int as ins_min,
      max(extract(epoch from created_at - scheduled_for) * 1000)::int as ins_max,
      min(extract(epoch from started_at - scheduled_for) * 1000)::int as start_min,
      percentile_disc(0.99) within group (order by started_at - scheduled_for) as start_p99,
      max(extract(epoch from started_at - scheduled_for) * 1000)::int as start_max,
      max(extract(epoch from finished_at - scheduled_for) * 1000)::int as end_max
    from job_executions
    where scheduled_for >= ${new Date(from).toISOString()}::timestamptz and scheduled_for < ${new Date(from + SECONDS * 1000).toISOString()}::timestamptz
    group by 1 order by 1`,
  );
  for (const h of rowsOf(result) as Record<string, unknown>[])
    console.log(
      `  +${h.at} ms: ${h.n} rows, inserted ${h.ins_min}..${h.ins_max} ms, started ${h.start_min}..${h.start_max} ms (p99 ${h.start_p99}), last ended ${h.end_max} ms`,
    );
}

function rowsOf(result: unknown): unknown[] {
  return Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? []);
}
