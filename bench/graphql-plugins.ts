/**
 * The cost of the Pothos plugins (scope-auth, relay, dataloader) against the hand-written code they
 * replaced: `jobs(first: 100)` with nested fields (trigger, lastExecution -> job, executions
 * connection) over 10,000 jobs in the memory store, the same requests through both schemas in one
 * process. "before" is the source tree of a commit extracted with `git archive` (its yoga.ts over
 * the same JobService); "after" is the working tree. Each round walks the pages with both,
 * interleaved request by request; prints each round's median ms per request, the median of the
 * rounds (3 by default) and the after/before ratio. Not a test.
 *
 *   npx tsx bench/graphql-plugins.ts [pages=100] [rounds=3]
 *   BEFORE=<commit> npx tsx bench/graphql-plugins.ts   (default: the last hand-written commit)
 *
 * Executions are served by a bench-local log indexed by job, so the memory log's full scans do not
 * hide the GraphQL layer's cost.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMemoryEventBus } from '../src/adapters/memory/event-bus.ts';
import { createMemoryJobStore } from '../src/adapters/memory/job-store.ts';
import { systemClock } from '../src/core/clock.ts';
import type { Execution } from '../src/core/execution.ts';
import { buildJob } from '../src/core/job-factory.ts';
import { JobService } from '../src/core/job-service.ts';
import type { ExecutionLog, Page } from '../src/core/ports.ts';
import { Scheduler } from '../src/core/scheduler/scheduler.ts';
import { createKairosYoga } from '../src/graphql/yoga.ts';
import { createBuiltinRegistry } from '../src/tasks/registry.ts';

const PAGES = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 3);
const BEFORE = process.env.BEFORE ?? '7fa643c';
const JOBS = 10_000;
const EXECUTIONS_PER_JOB = 3;
const TOKEN = 'bench-read-token-0123';

const QUERY = `query Jobs($after: String) {
  jobs(first: 100, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      id name task paused nextRunTime
      trigger { __typename ... on CronTrigger { expression timezone } ... on IntervalTrigger { seconds } }
      lastExecution { id status scheduledFor job { id name } }
      executions(first: 3) { pageInfo { hasNextPage endCursor } edges { cursor node { id status attempt } } }
    } }
  }
}`;

type CreateYoga = typeof createKairosYoga;

/** The `before` tree's createKairosYoga; its node_modules is ours, so graphql is one module. */
async function beforeYoga(): Promise<CreateYoga> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const rev = execSync(`git rev-parse --short ${BEFORE}`, { cwd: root }).toString().trim();
  const dir = join(tmpdir(), `kairos-bench-before-${rev}`);
  if (!existsSync(join(dir, 'src'))) {
    mkdirSync(dir, { recursive: true });
    execSync(`git archive ${rev} src package.json | tar -x -C ${dir}`, { cwd: root });
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  }
  const module = (await import(pathToFileURL(join(dir, 'src/graphql/yoga.ts')).href)) as {
    createKairosYoga: CreateYoga;
  };
  return module.createKairosYoga;
}

/** list (by job, from the start) and latestByJob: all the query reads, without full scans. */
function indexedLog(rows: Execution[]): ExecutionLog {
  const byJob = new Map<string, Execution[]>();
  for (const row of rows) byJob.set(row.jobId, [...(byJob.get(row.jobId) ?? []), row]);
  for (const list of byJob.values()) list.sort((a, b) => b.scheduledFor - a.scheduledFor);
  const log: Partial<ExecutionLog> = {
    async list(query): Promise<Page<Execution>> {
      const all = byJob.get(query.jobId ?? '') ?? [];
      const items = all.slice(0, query.first);
      return { items, hasNextPage: all.length > items.length, endCursor: items.at(-1)?.id ?? null };
    },
    async latestByJob(ids) {
      const found = new Map<string, Execution>();
      for (const id of ids) {
        const newest = byJob.get(id)?.[0];
        if (newest) found.set(id, newest);
      }
      return found;
    },
    async close() {},
  };
  return log as ExecutionLog;
}

async function service(): Promise<JobService> {
  const tasks = createBuiltinRegistry();
  const now = Date.now();
  const store = createMemoryJobStore({ clock: systemClock });
  const executions: Execution[] = [];
  for (let i = 0; i < JOBS; i++) {
    const job = buildJob(
      {
        id: `job-${String(i).padStart(5, '0')}`,
        name: `Sync tenant ${i}`,
        task: 'http',
        args: { url: `https://hooks.example.com/tenants/${i}/sync` },
        trigger:
          i % 2 === 0
            ? { cron: { expression: '*/5 * * * *', timezone: 'Europe/Paris' } }
            : { interval: { seconds: 30 + (i % 600) } },
      },
      { now, defaultTimezone: 'UTC', tasks, newId: () => crypto.randomUUID() },
    );
    job.nextRunTime = now + 3_600_000 + i;
    job.dueAt = job.nextRunTime;
    await store.add(job);
    for (let n = 0; n < EXECUTIONS_PER_JOB; n++) {
      const at = now - (n + 1) * 60_000;
      executions.push({
        id: crypto.randomUUID(),
        jobId: job.id,
        jobName: job.name,
        task: job.task,
        status: n === 1 ? 'failed' : 'success',
        triggerKind: 'scheduled',
        scheduledFor: at,
        startedAt: at,
        finishedAt: at + 5,
        durationMs: 5,
        attempt: 1,
        instance: 'bench',
        owner: null,
        dueAt: at,
        coversUntil: null,
        coveredFires: 1,
        error: null,
        result: null,
      });
    }
  }
  const log = indexedLog(executions);
  // Not started: the read path is what is measured.
  return JobService.of(new Scheduler({ store, log, bus: createMemoryEventBus(), tasks, instance: 'bench' }));
}

type Fetch = (request: Request) => Response | Promise<Response>;

async function page(fetch: Fetch, after: string | null): Promise<string> {
  const response = await fetch(
    new Request('http://127.0.0.1/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query: QUERY, variables: { after } }),
    }),
  );
  return response.text();
}

type Side = 'before' | 'after';

/**
 * One round: both walk `pages` pages in order, interleaved request by request so a busy machine
 * slows both alike. The median ms per request of each (a request preempted by another process
 * moves the mean, not the median).
 */
async function round(
  servers: Record<Side, Fetch>,
  pages: number,
  first: Side,
): Promise<Record<Side, number>> {
  const order: Side[] = first === 'before' ? ['before', 'after'] : ['after', 'before'];
  const after: Record<Side, string | null> = { before: null, after: null };
  const times: Record<Side, number[]> = { before: [], after: [] };
  for (let p = 0; p < pages; p++) {
    for (const side of order) {
      const started = performance.now();
      const text = await page(servers[side], after[side]);
      times[side].push(performance.now() - started);
      const body = JSON.parse(text) as {
        errors?: unknown;
        data: { jobs: { pageInfo: { endCursor: string | null } } };
      };
      if (body.errors) throw new Error(`${side}: ${text.slice(0, 500)}`);
      after[side] = body.data.jobs.pageInfo.endCursor;
    }
  }
  return { before: median(times.before), after: median(times.after) };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main() {
  const jobService = await service();
  const options = {
    service: jobService,
    bus: createMemoryEventBus(),
    tokens: new Map([[TOKEN, 'read' as const]]),
    anonymousScope: null,
  };
  const servers: Record<Side, Fetch> = {
    before: (await beforeYoga())(options).fetch,
    after: createKairosYoga(options).fetch,
  };

  // Clients see the same answers: the first pages must match byte for byte.
  let after: string | null = null;
  for (let p = 0; p < 3; p++) {
    const a: string = await page(servers.before, after);
    const b: string = await page(servers.after, after);
    if (a !== b)
      throw new Error(`before and after differ on page ${p}:\n${a.slice(0, 400)}\n${b.slice(0, 400)}`);
    after = (JSON.parse(a) as { data: { jobs: { pageInfo: { endCursor: string } } } }).data.jobs.pageInfo
      .endCursor;
  }
  await round(servers, 20, 'before'); // warm-up: JIT, caches

  console.log(
    `jobs(first: 100) + lastExecution/job + executions(first: 3), ${JOBS} jobs, ${PAGES} pages per round, ` +
      `${ROUNDS} rounds; before = ${BEFORE}; node ${process.version}`,
  );
  const results: Record<Side, number[]> = { before: [], after: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const medians = await round(servers, PAGES, r % 2 === 0 ? 'before' : 'after');
    results.before.push(medians.before);
    results.after.push(medians.after);
    console.log(
      `round ${r + 1}: before ${medians.before.toFixed(2)} ms/req, after ${medians.after.toFixed(2)} ms/req`,
    );
  }
  const [b, a] = [median(results.before), median(results.after)];
  console.log(
    `median: before ${b.toFixed(2)} ms/req, after ${a.toFixed(2)} ms/req, after/before x${(a / b).toFixed(2)}`,
  );
}

await main();
