// scratch: execution only, graphql-js vs graphql-tools

import { normalizedExecutor } from '@graphql-tools/executor';
import { execute, parse } from 'graphql';
import { createMemoryEventBus } from '../src/adapters/memory/event-bus.ts';
import { createMemoryExecutionLog } from '../src/adapters/memory/execution-log.ts';
import { createMemoryJobStore } from '../src/adapters/memory/job-store.ts';
import { systemClock } from '../src/core/clock.ts';
import { buildJob } from '../src/core/job-factory.ts';
import { JobService } from '../src/core/job-service.ts';
import { Scheduler } from '../src/core/scheduler.ts';
import { createContext } from '../src/graphql/context.ts';
import { schema } from '../src/graphql/schema.ts';
import { createBuiltinRegistry } from '../src/tasks/registry.ts';

const QUERY = `query Jobs($after: String) {
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
const document = parse(QUERY);
const engines = { js: execute, tools: normalizedExecutor } as Record<string, (a: never) => unknown>;
const N = 3000;
for (let rep = 0; rep < 4; rep++) {
  for (const name of (process.env.ENGINES ?? 'js,tools').split(',')) {
    const run = engines[name]!;
    const t0 = performance.now();
    let bytes = 0;
    for (let i = 0; i < N; i++) {
      const contextValue = createContext({
        service,
        auth: { scope: 'read', via: 'token' },
        hub: null as never,
        info: null as never,
      });
      const result = await (run({
        schema,
        document,
        contextValue,
        variableValues: { after: null },
      } as never) as Promise<unknown>);
      bytes += JSON.stringify(result).length;
    }
    const ms = performance.now() - t0;
    console.log(name, `${((ms / N) * 1000).toFixed(0)} us/execution+stringify`, bytes / N);
  }
}
