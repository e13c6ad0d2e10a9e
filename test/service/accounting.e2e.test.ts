/**
 * The accounting invariant (docs/design.md, section 10) end to end, on real Redis and PostgreSQL
 * through the composition root (createApp): every nominal fire of every job ends in exactly one
 * terminal record, and a graceful stop leaves nothing `running` or `pending`.
 *
 * The window of nominal fires of a job is computed from the stores, not from the test's clock:
 * it starts at the job's first nextRunTime (what addJob returned) and ends at the last fire the
 * scheduler planned before it stopped, which is the job's stored nextRunTime after the stop minus
 * one interval (a claim records every fire up to the next run time it commits, so every fire
 * before the stored nextRunTime was claimed, and none after it). Each fire in the window must be
 * covered by exactly one record: its own row, or a covering row (scheduled_for .. covers_until,
 * covered_fires of them), and no record may cover a fire outside the window.
 *
 * Each case uses its own database and Redis key prefix, removed afterwards. Skipped (one line)
 * when a server is unreachable, unless KAIROS_REQUIRE_SERVICES=1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisJobStore } from '../../src/adapters/redis/job-store.ts';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import {
  createTestDatabase,
  deleteRedisPrefix,
  postgresAvailability,
  REDIS_URL,
  redisAvailability,
  uniquePrefix,
} from '../support/services.ts';

const TERMINAL = new Set(['success', 'failed', 'timed_out', 'skipped', 'missed', 'abandoned']);

interface Row {
  id: string;
  jobId: string;
  status: string;
  attempt: number;
  scheduledFor: number;
  coversUntil: number | null;
  coveredFires: number;
}

/** The nominal fires of one job: first, first + interval, ..., last. */
interface FireWindow {
  jobId: string;
  first: number;
  last: number;
  interval: number;
}

interface Accounting {
  /** Nominal fires in all windows. */
  fires: number;
  /** Fires whose one record is `success`. */
  succeeded: number;
  /** Records covering more than their own fire. */
  covering: number;
  statuses: Record<string, number>;
  /** Every breach of the invariant, one line each. */
  problems: string[];
}

/**
 * Checks that every fire of every window is covered by exactly one terminal record, and that no
 * record covers anything else. No job here has retries (attempts default to 1), so every record is
 * attempt 1 and is the fire's terminal record.
 */
function account(rows: Row[], windows: FireWindow[]): Accounting {
  const result: Accounting = { fires: 0, succeeded: 0, covering: 0, statuses: {}, problems: [] };
  const byJob = new Map<string, Row[]>();
  for (const row of rows) byJob.set(row.jobId, [...(byJob.get(row.jobId) ?? []), row]);
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const window of windows) {
    const { jobId, first, last, interval } = window;
    // fire time -> statuses of the records covering it
    const cover = new Map<number, string[]>();
    for (const row of byJob.get(jobId) ?? []) {
      result.statuses[row.status] = (result.statuses[row.status] ?? 0) + 1;
      const end = row.coversUntil ?? row.scheduledFor;
      const where = `${jobId} record ${row.id} (${row.status}, ${iso(row.scheduledFor)}..${iso(end)})`;
      if (!TERMINAL.has(row.status)) result.problems.push(`${where}: not terminal`);
      if (row.attempt !== 1) result.problems.push(`${where}: attempt ${row.attempt}, no job here retries`);
      if ((row.scheduledFor - first) % interval !== 0 || (end - first) % interval !== 0) {
        result.problems.push(`${where}: not on the job's interval grid from ${iso(first)}`);
        continue;
      }
      const count = (end - row.scheduledFor) / interval + 1;
      if (count < 1 || row.coveredFires !== count)
        result.problems.push(`${where}: covered_fires ${row.coveredFires}, its range holds ${count}`);
      if (count > 1) result.covering++;
      for (let at = row.scheduledFor; at <= end; at += interval) {
        if (at < first || at > last) {
          result.problems.push(`${where}: covers ${iso(at)}, outside the window ${iso(first)}..${iso(last)}`);
          continue;
        }
        cover.set(at, [...(cover.get(at) ?? []), row.status]);
      }
    }
    for (let at = first; at <= last; at += interval) {
      result.fires++;
      const statuses = cover.get(at) ?? [];
      if (statuses.length === 0) result.problems.push(`${jobId} fire ${iso(at)}: no record`);
      else if (statuses.length > 1)
        result.problems.push(`${jobId} fire ${iso(at)}: ${statuses.length} records (${statuses.join(', ')})`);
      else if (statuses[0] === 'success') result.succeeded++;
    }
  }
  return result;
}

/** A compact failure message: the counts and the first problems. */
function summary(accounting: Accounting): string {
  const { problems, ...counts } = accounting;
  return `${JSON.stringify(counts)}\n${problems.length} problem(s):\n${problems.slice(0, 25).join('\n')}`;
}

const quiet = createLogger({ level: 'silent' });

/** One case's servers: a fresh database, a fresh Redis prefix, an app on both. */
interface Rig {
  app: App;
  sql: postgres.Sql;
  redis: Redis;
  prefix: string;
  stopped: boolean;
  cleanup(): Promise<void>;
}

async function openRig(label: string): Promise<Rig> {
  const database = await createTestDatabase(label);
  const prefix = uniquePrefix(label).slice(0, 64);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const config = loadConfig({
    REDIS_URL,
    DATABASE_URL: database.url,
    KAIROS_REDIS_PREFIX: prefix,
    KAIROS_LOG_LEVEL: 'silent',
  });
  const app = await createApp(config, { logger: quiet });
  const state: Rig = {
    app,
    sql,
    redis,
    prefix,
    stopped: false,
    async cleanup() {
      if (!state.stopped) await app.stop().catch(() => {});
      await sql.end({ timeout: 5 });
      await database.drop();
      await deleteRedisPrefix(prefix, redis);
      redis.disconnect();
    },
  };
  return state;
}

async function graphql<T>(app: App, query: string): Promise<T> {
  const response = await app.fetch(
    new Request('http://127.0.0.1:4000/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    }),
  );
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

/** Adds the jobs over GraphQL; returns each job's first nextRunTime (epoch ms). */
async function addJobs(app: App, ids: string[], input: (id: string) => string): Promise<Map<string, number>> {
  const firsts = new Map<string, number>();
  for (const id of ids) {
    const { addJob } = await graphql<{ addJob: { nextRunTime: string } }>(
      app,
      `mutation { addJob(input: { ${input(id)} }) { nextRunTime } }`,
    );
    firsts.set(id, Date.parse(addJob.nextRunTime));
  }
  return firsts;
}

/** Polls the history until every job has a record at or past `first + spanMs`. */
async function waitForSpan(rig: Rig, firsts: Map<string, number>, spanMs: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reached = await rig.sql<{ job_id: string; last: Date }[]>`
      select job_id, max(coalesce(covers_until, scheduled_for)) as last from job_executions group by job_id`;
    const last = new Map(reached.map((r) => [r.job_id, r.last.getTime()]));
    const behind = [...firsts].filter(([id, first]) => (last.get(id) ?? 0) < first + spanMs);
    if (behind.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `after ${timeoutMs} ms, ${behind.length} job(s) have not reached ${spanMs} ms of fires`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function readRows(sql: postgres.Sql): Promise<Row[]> {
  const rows = await sql<
    {
      id: string;
      job_id: string;
      status: string;
      attempt: number;
      scheduled_for: Date;
      covers_until: Date | null;
      covered_fires: number;
    }[]
  >`select id, job_id, status, attempt, scheduled_for, covers_until, covered_fires from job_executions`;
  return rows.map((r) => ({
    id: r.id,
    jobId: r.job_id,
    status: r.status,
    attempt: r.attempt,
    scheduledFor: r.scheduled_for.getTime(),
    coversUntil: r.covers_until?.getTime() ?? null,
    coveredFires: r.covered_fires,
  }));
}

/**
 * Stops the app gracefully, then computes each job's window from its stored nextRunTime (read with a
 * store of our own: the app's is closed by then).
 */
async function stopAndWindows(
  rig: Rig,
  firsts: Map<string, number>,
  interval: number,
): Promise<FireWindow[]> {
  const stopAt = Date.now();
  await rig.app.stop();
  rig.stopped = true;
  const store = createRedisJobStore({ redis: rig.redis, prefix: rig.prefix });
  const windows: FireWindow[] = [];
  for (const [jobId, first] of firsts) {
    const job = await store.get(jobId);
    expect(job?.nextRunTime, `${jobId}: stored nextRunTime after the stop`).toBeTypeOf('number');
    const last = (job?.nextRunTime as number) - interval;
    // The scheduler claimed until the stop (claims run ahead of it by at most the 1 s lookahead).
    expect(
      last,
      `${jobId}: last planned fire vs the stop at ${new Date(stopAt).toISOString()}`,
    ).toBeGreaterThan(stopAt - 1_500);
    expect(last).toBeLessThan(stopAt + 1_500);
    windows.push({ jobId, first, last, interval });
  }
  return windows;
}

describe('accounting end to end (Redis + PostgreSQL)', async () => {
  const redis = await redisAvailability();
  const pg = await postgresAvailability();
  const skip = !redis.available || !pg.available;
  let current: Rig | undefined;
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });

  it.skipIf(skip)(
    '100 jobs every 100 ms for 20 s: every fire has exactly one terminal record, >= 99 % succeed',
    async () => {
      const INTERVAL = 100;
      const SPAN = 20_000;
      const rig = await openRig('accounting_a');
      current = rig;
      await rig.app.start();
      const ids = Array.from({ length: 100 }, (_, i) => `tick-${String(i).padStart(3, '0')}`);
      const firsts = await addJobs(
        rig.app,
        ids,
        (id) =>
          `id: "${id}", task: "log", args: { message: "tick" }, trigger: { interval: { milliseconds: ${INTERVAL} } }`,
      );
      await waitForSpan(rig, firsts, SPAN, SPAN + 20_000);
      const windows = await stopAndWindows(rig, firsts, INTERVAL);

      const rows = await readRows(rig.sql);
      expect(rows.filter((r) => r.status === 'running' || r.status === 'pending')).toEqual([]);
      const accounting = account(rows, windows);
      expect(accounting.problems, summary(accounting)).toEqual([]);
      expect(accounting.fires).toBeGreaterThanOrEqual(100 * (SPAN / INTERVAL));
      expect(accounting.succeeded / accounting.fires, summary(accounting)).toBeGreaterThanOrEqual(0.99);
    },
    60_000,
  );

  it.skipIf(skip)(
    '20 http jobs every 250 ms answered in 400 ms, coalesce off: one record per fire, hits = successes',
    async () => {
      const INTERVAL = 250;
      const SPAN = 10_000;
      // Request arrivals by execution id, counted when the request arrives (an aborted one counts too).
      const hits: string[] = [];
      const server: Server = createServer((req, res) => {
        hits.push(String(req.headers['x-kairos-execution-id']));
        req.resume();
        setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), 400);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      try {
        const rig = await openRig('accounting_b');
        current = rig;
        await rig.app.start();
        const ids = Array.from({ length: 20 }, (_, i) => `hook-${String(i).padStart(2, '0')}`);
        const firsts = await addJobs(
          rig.app,
          ids,
          (id) =>
            `id: "${id}", task: "http", args: { url: "${url}" }, coalesce: false, ` +
            `trigger: { interval: { milliseconds: ${INTERVAL} } }`,
        );
        await waitForSpan(rig, firsts, SPAN, SPAN + 20_000);
        const windows = await stopAndWindows(rig, firsts, INTERVAL);

        const rows = await readRows(rig.sql);
        expect(rows.filter((r) => r.status === 'running' || r.status === 'pending')).toEqual([]);
        const accounting = account(rows, windows);
        expect(accounting.problems, summary(accounting)).toEqual([]);
        expect(accounting.covering, 'coalesce is off: no record covers more than its own fire').toBe(0);
        expect(accounting.fires).toBeGreaterThanOrEqual(20 * (SPAN / INTERVAL));

        const succeeded = rows.filter((r) => r.status === 'success').map((r) => r.id);
        expect(hits.length, summary(accounting)).toBe(succeeded.length);
        expect([...hits].sort()).toEqual([...succeeded].sort());
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
    60_000,
  );
});

describe('the accounting check itself (no servers)', () => {
  const window: FireWindow = { jobId: 'j', first: 1_000, last: 1_400, interval: 100 };
  let n = 0;
  const row = (scheduledFor: number, status = 'success', coversUntil: number | null = null): Row => ({
    id: `r${n++}`,
    jobId: 'j',
    status,
    attempt: 1,
    scheduledFor,
    coversUntil,
    coveredFires: coversUntil === null ? 1 : (coversUntil - scheduledFor) / 100 + 1,
  });

  it('accepts one record per fire, own or covering', () => {
    const result = account([row(1_000), row(1_100, 'missed', 1_300), row(1_400, 'skipped')], [window]);
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ fires: 5, succeeded: 1, covering: 1 });
  });

  it('names a missing fire, a duplicate, a fire outside the window and a non-terminal row', () => {
    const result = account(
      [row(1_000), row(1_100), row(1_100, 'skipped'), row(1_300, 'running'), row(1_400), row(1_500)],
      [window],
    );
    expect(result.problems).toEqual([
      expect.stringMatching(/record r\d+ \(running, .*\): not terminal/),
      expect.stringMatching(/covers 1970-01-01T00:00:01\.500Z, outside the window/),
      'j fire 1970-01-01T00:00:01.100Z: 2 records (success, skipped)',
      'j fire 1970-01-01T00:00:01.200Z: no record',
    ]);
  });

  it('refuses a covering record whose count does not match its range, or off the grid', () => {
    const wrongCount = { ...row(1_000, 'missed', 1_200), coveredFires: 2 };
    const offGrid = row(1_350, 'missed');
    const result = account([wrongCount, offGrid, row(1_300), row(1_400)], [window]);
    expect(result.problems).toEqual([
      expect.stringMatching(/covered_fires 2, its range holds 3/),
      expect.stringMatching(/not on the job's interval grid/),
    ]);
  });
});
