/**
 * `jobs(first: 100)` over 10,000 jobs, 50 concurrent clients over real HTTP (node:http serving the
 * Yoga app as src/runtime/node.ts does), on the memory and on the Redis job store; side by side
 * with a bare node:http handler that answers the same JSON for the same page straight from the
 * same store (no GraphQL). Rounds alternate the four servers so a noisy machine hits them alike.
 * Prints req/s, p50/p99/max and the GraphQL/bare ratios. Not a test: figures vary with the machine.
 *
 *   node_modules/.bin/node bench/jobs-query.ts [seconds=8] [rounds=2] [clients=50]
 *   ONLY='graphql memory' node_modules/.bin/node --cpu-prof bench/jobs-query.ts   (one server, to profile)
 *   WRITES=100 ... (a busy schedule: that many job writes per second into the store under test,
 *   each moving its change count, so the read cache misses after each)
 *
 * Clients run in a worker thread (their own event loop), walking the list page by page with
 * `after: endCursor` and starting over at the end. Needs REDIS_URL (default redis://127.0.0.1:6379);
 * the Redis keys live under a unique prefix and are deleted at the end.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServerAdapter } from '@whatwg-node/server';
import { Redis } from 'ioredis';
import { createMemoryEventBus } from '../src/adapters/memory/event-bus.ts';
import { createMemoryExecutionLog } from '../src/adapters/memory/execution-log.ts';
import { createMemoryJobStore } from '../src/adapters/memory/job-store.ts';
import { createRedisJobStore } from '../src/adapters/redis/job-store.ts';
import { systemClock } from '../src/core/clock.ts';
import type { AddJobInput, Job } from '../src/core/job.ts';
import { buildJob } from '../src/core/job-factory.ts';
import { JobService } from '../src/core/job-service.ts';
import type { JobStore } from '../src/core/ports.ts';
import { Scheduler } from '../src/core/scheduler/scheduler.ts';
import type { Trigger } from '../src/core/trigger.ts';
import { decodeCursor, encodeCursor } from '../src/graphql/connection.ts';
import { createKairosYoga } from '../src/graphql/yoga.ts';
import { createLogger } from '../src/logger.ts';
import { createBuiltinRegistry } from '../src/tasks/registry.ts';
import { type Comparison, compare, times } from './support.ts';

const SECONDS = Number(process.argv[2] ?? 8);
const ROUNDS = Number(process.argv[3] ?? 2);
const CLIENTS = Number(process.argv[4] ?? 50);
const JOBS = 10_000;
const PAGE = 100;
const WARMUP_MS = 2_000;
const TOKEN = 'bench-read-token';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WRITES = Number(process.env.WRITES ?? 0);

const QUERY = `query Jobs($after: String) {
  jobs(first: ${PAGE}, after: $after) {
    edges { node { id name task paused nextRunTime trigger { __typename
      ... on CronTrigger { expression timezone } ... on IntervalTrigger { seconds } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const CRONS = ['*/5 * * * *', '0 * * * *', '0 9 * * 1-5', '30 2 * * *', '0 0 1 * *', '15 */6 * * *'];
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Tokyo'];

function jobInputs(): AddJobInput[] {
  return Array.from({ length: JOBS }, (_, i) => ({
    id: `job-${String(i).padStart(5, '0')}`,
    name: `Sync tenant ${i} (${i % 3 === 0 ? 'reports' : 'webhooks'})`,
    task: 'http',
    args: { url: `https://hooks.example.com/tenants/${i}/sync`, method: 'POST', body: { tenant: i } },
    trigger:
      i % 5 < 3
        ? { cron: { expression: CRONS[i % CRONS.length] as string, timezone: ZONES[i % ZONES.length] } }
        : { interval: { seconds: 30 + (i % 600) } },
    paused: i % 20 === 0,
  }));
}

/** The bare peer's rendering of one job: the fields the query asks for, in the query's order. */
function nodeJson(job: Job) {
  const trigger: Trigger = job.trigger;
  return {
    id: job.id,
    name: job.name,
    task: job.task,
    paused: job.paused,
    // As the API shows it: a paused job has no next run.
    nextRunTime: job.paused || job.nextRunTime === null ? null : new Date(job.nextRunTime).toISOString(),
    trigger:
      trigger.kind === 'cron'
        ? { __typename: 'CronTrigger', expression: trigger.expression, timezone: trigger.timezone }
        : trigger.kind === 'interval'
          ? { __typename: 'IntervalTrigger', seconds: trigger.seconds }
          : { __typename: 'DateTrigger' },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** The peer: parse the body, read the page from the store, write the JSON. No GraphQL at all. */
function bareServer(store: JobStore): Server {
  return createServer((request, response) => {
    void (async () => {
      if (request.headers.authorization !== `Bearer ${TOKEN}`) {
        response.writeHead(401).end();
        return;
      }
      const { variables } = JSON.parse(await readBody(request)) as { variables?: { after?: string | null } };
      const after = variables?.after ? decodeCursor(variables.after).a : null;
      const page = await store.list({ first: PAGE, after });
      const body = JSON.stringify({
        data: {
          jobs: {
            edges: page.items.map((job) => ({ node: nodeJson(job) })),
            pageInfo: {
              hasNextPage: page.hasNextPage,
              endCursor: page.endCursor === null ? null : encodeCursor({ a: page.endCursor }),
            },
          },
        },
      });
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    })().catch((error: unknown) => {
      console.error(error);
      response.writeHead(500).end();
    });
  });
}

function graphqlServer(store: JobStore): Server {
  const tasks = createBuiltinRegistry();
  const log = createMemoryExecutionLog();
  const bus = createMemoryEventBus();
  // Not started: nothing is due in the bench window, and the read path is what is measured.
  const scheduler = new Scheduler({ store, log, bus, tasks, instance: 'bench' });
  const yoga = createKairosYoga({
    service: JobService.of(scheduler),
    bus,
    tokens: new Map([[TOKEN, 'read']]),
    anonymousScope: null,
    logger: createLogger({ level: 'info' }),
  });
  return createServer(createServerAdapter((request: Request) => yoga.fetch(request)));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

async function post(url: string, after: string | null): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query: QUERY, variables: { after } }),
  });
  return response.text();
}

/**
 * The load generator, in its own process so the server process's CPU time is the server's alone.
 * Plain JS (node -e runs it untranspiled); it tells the parent when its measuring window opens and
 * closes, so the parent reads its own CPU time (and Redis's) over the same window.
 */
const CLIENT_CODE = `
const http = require('node:http');
process.on('message', async ({ url, token, query, clients, warmupMs, measureMs }) => {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies = [];
  let errors = 0;
  let measuring = false;
  let stopped = false;
  const send = (after) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ query, variables: { after } });
    const request = http.request({
      agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json',
        authorization: 'Bearer ' + token, 'content-length': Buffer.byteLength(body) },
    }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
  const client = async () => {
    let after = null;
    while (!stopped) {
      const started = performance.now();
      // Counted when sent inside the window: a warm-up request that ends late is not a sample.
      const counted = measuring;
      let ok = false;
      try {
        const { status, text } = await send(after);
        const ms = performance.now() - started;
        const result = JSON.parse(text);
        const page = result.data && result.data.jobs;
        ok = status === 200 && !result.errors && page && page.edges.length > 0;
        if (ok && counted) latencies.push(ms);
        after = ok && page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } catch {}
      if (!ok && counted) errors++;
    }
  };
  const running = Array.from({ length: clients }, client);
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  process.send({ type: 'measuring' });
  const start = performance.now();
  await new Promise((r) => setTimeout(r, measureMs));
  measuring = false;
  process.send({ type: 'measured' });
  const elapsed = performance.now() - start;
  stopped = true;
  await Promise.all(running);
  agent.destroy();
  process.send({ type: 'result', latencies, errors, elapsed });
});
`;

interface RunResult {
  latencies: number[];
  errors: number;
  elapsed: number;
  /** CPU time of this (the server) process over the measuring window, ms. */
  cpuMs: number;
  /** CPU time of redis-server over the window, ms (null when not asked). */
  redisCpuMs: number | null;
}

/** used_cpu_sys + used_cpu_user of the Redis server, ms. */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
}

function runClients(client: ChildProcess, url: string, redis: Redis | null): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let cpu: NodeJS.CpuUsage | null = null;
    let cpuMs = 0;
    let redisStart: Promise<number> | null = null;
    let redisCpuMs: Promise<number | null> = Promise.resolve(null);
    const onMessage = (message: { type: string } & Omit<RunResult, 'cpuMs' | 'redisCpuMs'>) => {
      if (message.type === 'measuring') {
        cpu = process.cpuUsage();
        redisStart = redis ? redisCpu(redis) : null;
      } else if (message.type === 'measured') {
        const used = process.cpuUsage(cpu ?? undefined);
        cpuMs = (used.user + used.system) / 1000;
        const start = redisStart;
        if (redis && start) redisCpuMs = Promise.all([start, redisCpu(redis)]).then(([a, b]) => b - a);
      } else {
        client.off('message', onMessage);
        client.off('error', reject);
        const { latencies, errors, elapsed } = message;
        void redisCpuMs.then((redisMs) =>
          resolve({ latencies, errors, elapsed, cpuMs, redisCpuMs: redisMs }),
        );
      }
    };
    client.on('message', onMessage);
    client.once('error', reject);
    client.send({
      url,
      token: TOKEN,
      query: QUERY,
      clients: CLIENTS,
      warmupMs: WARMUP_MS,
      measureMs: SECONDS * 1000,
    });
  });
}

interface Totals {
  name: string;
  latencies: number[];
  errors: number;
  elapsed: number;
  cpuMs: number;
  redisCpuMs: number | null;
}

function summarize(total: Totals) {
  const sorted = Float64Array.from(total.latencies).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
  return {
    name: total.name,
    rps: (sorted.length / total.elapsed) * 1000,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1) ?? Number.NaN,
    errors: total.errors,
    cpuPerRequest: total.cpuMs / sorted.length,
    redisPerRequest: total.redisCpuMs === null ? null : total.redisCpuMs / sorted.length,
  };
}

/** `perSecond` definition writes (a new version of a random job, schedule kept), as a busy schedule's commits. */
function startWrites(store: JobStore, jobs: Job[], perSecond: number) {
  let writing = false;
  let writes = 0;
  const timer = setInterval(
    () => {
      if (writing) return;
      writing = true;
      const id = (jobs[Math.floor(Math.random() * jobs.length)] as Job).id;
      void (async () => {
        const job = await store.get(id);
        if (job) await store.update({ ...job, version: job.version + 1 }, job.version, 'keep');
        writes++;
      })()
        .catch((error: unknown) => console.error(error))
        .finally(() => {
          writing = false;
        });
    },
    Math.max(1, 1000 / perSecond),
  );
  return {
    stop: () => {
      clearInterval(timer);
      return writes;
    },
  };
}

async function main() {
  const inputs = jobInputs();
  const tasks = createBuiltinRegistry();
  const now = Date.now();
  const jobs = inputs.map((input) =>
    buildJob(input, { now, defaultTimezone: 'UTC', tasks, newId: () => crypto.randomUUID() }),
  );
  // buildJob leaves the schedule to the service: give each job a fire in the next hour.
  for (const [i, job] of jobs.entries()) {
    if (job.paused) continue;
    job.nextRunTime = now + 3_600_000 + i * 1_000;
    job.dueAt = job.nextRunTime;
  }

  const memory = createMemoryJobStore({ clock: systemClock });
  for (const job of jobs) await memory.add(job);

  const redis = new Redis(REDIS_URL);
  const prefix = `kairos-bench:jobs-query:${crypto.randomUUID()}`;
  const redisStore = createRedisJobStore({ redis, prefix });
  for (let i = 0; i < jobs.length; i += 500)
    await Promise.all(jobs.slice(i, i + 500).map((j) => redisStore.add(j)));

  const servers: Server[] = [];
  const targets: { name: string; url: string }[] = [];
  for (const [storeName, store] of [
    ['memory', memory],
    ['redis', redisStore],
  ] as const) {
    const bare = bareServer(store);
    const graphql = graphqlServer(store);
    servers.push(bare, graphql);
    targets.push({ name: `bare ${storeName}`, url: await listen(bare) });
    targets.push({ name: `graphql ${storeName}`, url: await listen(graphql) });
  }

  // Both peers must answer byte for byte the same, on the first page and a later one.
  for (let t = 0; t < targets.length; t += 2) {
    const [bare, graphql] = [targets[t], targets[t + 1]] as { name: string; url: string }[];
    let after: string | null = null;
    for (let p = 0; p < 3; p++) {
      const [a, b]: string[] = await Promise.all([post(bare!.url, after), post(graphql!.url, after)]);
      if (a !== b)
        throw new Error(
          `${bare!.name} and ${graphql!.name} differ on page ${p}:\n${a?.slice(0, 300)}\n${b?.slice(0, 300)}`,
        );
      const page = JSON.parse(a as string) as { data: { jobs: { pageInfo: { endCursor: string } } } };
      after = page.data.jobs.pageInfo.endCursor;
    }
  }

  console.log(
    `jobs(first: ${PAGE}) over ${JOBS} jobs, ${CLIENTS} clients, ${ROUNDS} rounds x ${SECONDS} s per server ` +
      `(after ${WARMUP_MS / 1000} s warm-up); node ${process.version}` +
      (WRITES > 0 ? `; ${WRITES} job writes/s into the store under test` : ''),
  );
  const client = spawn(process.execPath, ['-e', CLIENT_CODE], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const measured = targets.filter((t) => t.name.includes(process.env.ONLY ?? ''));
  const totals = new Map<string, Totals>(
    measured.map((t) => [
      t.name,
      { name: t.name, latencies: [], errors: 0, elapsed: 0, cpuMs: 0, redisCpuMs: null },
    ]),
  );
  const stores = { memory, redis: redisStore } as const;
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of measured) {
      const store = target.name.endsWith('redis') ? stores.redis : stores.memory;
      const writer = WRITES > 0 ? startWrites(store, jobs, WRITES) : null;
      const result = await runClients(client, target.url, target.name.endsWith('redis') ? redis : null);
      writer?.stop();
      const total = totals.get(target.name) as Totals;
      for (const ms of result.latencies) total.latencies.push(ms);
      total.errors += result.errors;
      total.elapsed += result.elapsed;
      total.cpuMs += result.cpuMs;
      if (result.redisCpuMs !== null) total.redisCpuMs = (total.redisCpuMs ?? 0) + result.redisCpuMs;
    }
  }
  client.kill();

  const rows = [...totals.values()].map(summarize);
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(16)} ${row.rps.toFixed(0).padStart(6)} req/s  p50 ${row.p50.toFixed(1).padStart(6)} ms  ` +
        `p99 ${row.p99.toFixed(1).padStart(6)} ms  max ${row.max.toFixed(1).padStart(6)} ms  ` +
        `server CPU ${row.cpuPerRequest.toFixed(2)} ms/req` +
        (row.redisPerRequest === null ? '' : ` + redis ${row.redisPerRequest.toFixed(2)}`) +
        `  errors ${row.errors}`,
    );
  }
  const comparisons: Comparison[] = [];
  for (const store of ['memory', 'redis']) {
    const bare = rows.find((r) => r.name === `bare ${store}`);
    const graphql = rows.find((r) => r.name === `graphql ${store}`);
    if (!bare || !graphql) continue;
    const workload = `jobs(first: ${PAGE}) over ${JOBS.toLocaleString('en')} jobs, ${CLIENTS} clients, ${store} store${WRITES > 0 ? `, ${WRITES} writes/s` : ''}`;
    comparisons.push(
      {
        workload: `${workload}: throughput`,
        kairos: `${graphql.rps.toFixed(0)} req/s`,
        peer: `bare node:http ${bare.rps.toFixed(0)} req/s`,
        ratio: `${((graphql.rps / bare.rps) * 100).toFixed(0)} %`,
        goal: '>= 50 %',
        met: graphql.rps >= bare.rps / 2,
      },
      {
        workload: `${workload}: p99`,
        kairos: `${graphql.p99.toFixed(0)} ms`,
        peer: `bare ${bare.p99.toFixed(0)} ms`,
        ratio: times(graphql.p99 / bare.p99),
        goal: '<= 50 ms',
        met: graphql.p99 <= 50,
      },
    );
    console.log(
      `${store.padEnd(7)} graphql/bare: throughput ${((graphql.rps / bare.rps) * 100).toFixed(0)} %, ` +
        `p99 x${(graphql.p99 / bare.p99).toFixed(2)}, server CPU per request ` +
        `x${(graphql.cpuPerRequest / bare.cpuPerRequest).toFixed(2)}; ` +
        `target >= 50 % and p99 <= 50 ms: ${graphql.rps >= bare.rps / 2 && graphql.p99 <= 50 ? 'met' : 'NOT met'}`,
    );
  }

  compare('jobs-query', comparisons);
  for (const server of servers) server.close();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redisStore.close();
  await redis.quit();
}

await main();
