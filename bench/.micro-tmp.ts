// scratch: per-request CPU of yoga.fetch for the bench query (no HTTP)
import { createMemoryEventBus } from '../src/adapters/memory/event-bus.ts';
import { createMemoryExecutionLog } from '../src/adapters/memory/execution-log.ts';
import { createMemoryJobStore } from '../src/adapters/memory/job-store.ts';
import { systemClock } from '../src/core/clock.ts';
import { buildJob } from '../src/core/job-factory.ts';
import { JobService } from '../src/core/job-service.ts';
import { Scheduler } from '../src/core/scheduler.ts';
import { createKairosYoga } from '../src/graphql/yoga.ts';
import { createLogger } from '../src/logger.ts';
import { createBuiltinRegistry } from '../src/tasks/registry.ts';

const QUERY = process.env.TRIVIAL
  ? `query Jobs($after: String) { jobs(first: 1, after: $after) { pageInfo { hasNextPage endCursor } } }`
  : `query Jobs($after: String) {
  jobs(first: 100, after: $after) {
    edges { node { id name task paused nextRunTime trigger { __typename
      ... on CronTrigger { expression timezone } ... on IntervalTrigger { seconds } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const tasks = createBuiltinRegistry();
const store = createMemoryJobStore({ clock: systemClock });
const now = Date.now();
for (let i = 0; i < 10_000; i++) {
  const job = buildJob(
    {
      id: `job-${String(i).padStart(5, '0')}`,
      name: `Sync tenant ${i}`,
      task: 'http',
      args: { url: `https://hooks.example.com/tenants/${i}/sync`, method: 'POST', body: { tenant: i } },
      trigger:
        i % 5 < 3
          ? { cron: { expression: '*/5 * * * *', timezone: 'Europe/Paris' } }
          : { interval: { seconds: 30 + (i % 600) } },
      paused: i % 20 === 0,
    },
    { now, defaultTimezone: 'UTC', tasks, newId: () => crypto.randomUUID() },
  );
  if (!job.paused) {
    job.nextRunTime = now + 3_600_000 + i;
    job.dueAt = job.nextRunTime;
  }
  await store.add(job);
}
const scheduler = new Scheduler({
  store,
  log: createMemoryExecutionLog(),
  bus: createMemoryEventBus(),
  tasks,
  instance: 'x',
});
const service = new JobService(scheduler);
let yoga: { fetch: (url: string, init: RequestInit) => Promise<Response> };
if (process.env.ENGINE) {
  const { createYoga } = await import('graphql-yoga');
  const { execute } = await import('graphql');
  const { schema } = await import('../src/graphql/schema.ts');
  const { createContext } = await import('../src/graphql/context.ts');
  const { armorPlugin, DEFAULT_LIMITS } = await import('../src/graphql/limits.ts');
  const { authorizeOperation } = await import('../src/graphql/operation-auth.ts');
  const { requestErrorCodes, createMaskError } = await import('../src/graphql/errors.ts');
  const logger = createLogger({ level: 'info' });
  yoga = createYoga({
    schema,
    context: async () =>
      createContext({
        service,
        auth: { scope: 'read', via: 'token' },
        hub: null as never,
        info: null as never,
      }),
    maskedErrors: { maskError: createMaskError(logger), isDev: false },
    batching: false,
    plugins: [
      ...(process.env.ENGINE.includes('noarmor') ? [] : [armorPlugin(DEFAULT_LIMITS)]),
      authorizeOperation,
      requestErrorCodes,
      ...(process.env.ENGINE.includes('js')
        ? [
            {
              onExecute: ({ setExecuteFn }: { setExecuteFn: (fn: typeof execute) => void }) =>
                setExecuteFn(execute),
            },
          ]
        : []),
    ],
  }) as never;
} else {
  yoga = createKairosYoga({
    service,
    tokens: new Map([['t', 'read']]),
    anonymousScope: null,
    logger: createLogger({ level: 'info' }),
  });
}
const once = async (after: string | null) => {
  const r = await yoga.fetch('http://x/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer t',
      accept: 'application/graphql-response+json',
    },
    body: JSON.stringify({ query: QUERY, variables: { after } }),
  });
  return r.text();
};
const first = await once(null);
console.log('bytes', first.length);

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const session = new Session();
if (process.env.ALLOC) {
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
}
const N = Number(process.argv[2] ?? 2000);
const C = Number(process.argv[3] ?? 50);
for (let rep = 0; rep < Number(process.env.REPS ?? 5); rep++) {
  let i = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: C }, async () => {
      let after: string | null = null;
      while (i++ < N) {
        const t = await once(after);
        after = JSON.parse(t).data.jobs.pageInfo.endCursor;
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  console.log(
    `${(ms / N).toFixed(3)} ms/request wall, cpu ${((cpu.user + cpu.system) / 1000 / N).toFixed(3)} ms/request`,
  );
}

if (process.env.ALLOC) {
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: unknown };
  writeFileSync(process.env.ALLOC, JSON.stringify(profile));
}
