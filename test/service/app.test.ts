/**
 * The composition root through app.fetch (no port): health endpoints, readiness per store,
 * start/stop, the jobs file, retention. One in-memory PGlite app is shared where it can be: a
 * fresh PGlite costs seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp, type Platform } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { uuidv7 } from '../../src/core/ids.ts';
import { createLogger } from '../../src/logger.ts';
import { FakeClock } from '../support/fake-clock.ts';
import {
  createTestDatabase,
  deleteRedisPrefix,
  postgresAvailability,
  REDIS_URL,
  redisAvailability,
  uniquePrefix,
} from '../support/services.ts';

const quiet = createLogger({ level: 'silent' });

function get(app: App, path: string, init?: RequestInit): Promise<Response> {
  return app.fetch(new Request(`http://127.0.0.1:4000${path}`, init));
}

async function graphql(
  app: App,
  query: string,
): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> {
  const response = await get(app, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

function files(contents: Record<string, string>): Platform {
  return {
    readTextFile: async (path) => {
      const text = contents[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    makeDirectory: async () => {},
  };
}

describe('embedded defaults (memory job store, in-memory PGlite)', () => {
  let app: App;
  beforeAll(async () => {
    const config = loadConfig({ DATABASE_URL: 'memory://', KAIROS_JOBS_FILE: 'jobs.json' });
    const jobs = JSON.stringify([{ id: 'declared', task: 'log', trigger: { interval: { hours: 1 } } }]);
    app = await createApp(config, { logger: quiet, platform: files({ 'jobs.json': jobs }) });
  }, 60_000);
  afterAll(() => app?.stop());

  it('answers /healthz before start, and /readyz 503 naming the scheduler and the history opening', async () => {
    const health = await get(app, '/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', instance: 'kairos' });

    const ready = await get(app, '/readyz');
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; checks: { name: string; ok: boolean }[] };
    expect(body.status).toBe('unavailable');
    expect(body.checks).toEqual([
      { name: 'scheduler', kind: 'created', ok: false, error: 'is created' },
      { name: 'jobStore', kind: 'memory', ok: true },
      // PGlite opens in the background: the API answers meanwhile (src/app/stores.ts).
      { name: 'executionLog', kind: 'pglite', ok: false, error: 'is opening' },
    ]);
  });

  it('starts: migrations, declared jobs, scheduler; then /readyz is 200', async () => {
    await app.start();
    const ready = await get(app, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.headers.get('cache-control')).toBe('no-store');
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
    expect(await app.ready()).toBe(true);
    expect((await app.service.getJob('declared')).task).toBe('log');
  });

  it('serves GraphQL at /graphql through the same fetch', async () => {
    const result = await graphql(app, '{ tasks { name } job(id: "declared") { id paused } }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      tasks: [{ name: 'http' }, { name: 'log' }],
      job: { id: 'declared', paused: false },
    });
  });

  it('answers HEAD, refuses other methods on the health endpoints, and 404s unknown paths', async () => {
    expect((await get(app, '/healthz', { method: 'HEAD' })).status).toBe(200);
    const post = await get(app, '/readyz', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    // `/` is the monitor now (test/monitor/); its unknown files are 404 like any other path.
    expect((await get(app, '/monitor/nothing-here.js')).status).toBe(404);
    expect((await get(app, '/nothing-here')).status).toBe(404);
  });

  it('refuses a second start', async () => {
    await expect(app.start()).rejects.toThrow(/cannot start from state started/);
  });
});

/** Until the in-memory PGlite, opening in the background since createApp, answers. */
async function historyOpen(app: App): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { checks } = await app.readiness();
    if (checks.find((c) => c.name === 'executionLog')?.ok) return;
    if (Date.now() > deadline) throw new Error('the history did not open');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('readiness when a store is unreachable', () => {
  it('Redis on a closed port: /readyz 503 names the job store, quickly', async () => {
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'memory://' });
    const app = await createApp(config, { logger: quiet, readyTimeoutMs: 1_500 });
    try {
      await historyOpen(app);
      const started = Date.now();
      const response = await get(app, '/readyz');
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(response.status).toBe(503);
      const { checks } = (await response.json()) as {
        checks: { name: string; kind: string; ok: boolean; error?: string }[];
      };
      expect(checks.find((c) => c.name === 'jobStore')).toMatchObject({
        kind: 'redis',
        ok: false,
        error: expect.stringMatching(/Redis is unavailable|no answer/),
      });
      expect(checks.find((c) => c.name === 'executionLog')).toMatchObject({ kind: 'pglite', ok: true });
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('PostgreSQL on a closed port: /readyz 503 names the execution log, and start fails', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    const app = await createApp(config, { logger: quiet, readyTimeoutMs: 1_500 });
    try {
      const response = await get(app, '/readyz');
      expect(response.status).toBe(503);
      const { checks } = (await response.json()) as {
        checks: { name: string; ok: boolean; error?: string }[];
      };
      expect(checks.find((c) => c.name === 'executionLog')).toMatchObject({
        ok: false,
        error: expect.stringMatching(/PostgreSQL is unavailable/),
      });
      expect(checks.find((c) => c.name === 'jobStore')?.ok).toBe(true);
      await expect(app.start()).rejects.toThrow(/PostgreSQL is unavailable/);
    } finally {
      await app.stop();
    }
  });
});

describe('a bad jobs file', () => {
  it('fails start with every problem, before the scheduler runs', async () => {
    const config = loadConfig({ DATABASE_URL: 'memory://', KAIROS_JOBS_FILE: 'jobs.json' });
    const bad = JSON.stringify({
      jobs: [{ id: 'x', task: 'log', trigger: { cron: { expression: 'nope' } } }],
    });
    const app = await createApp(config, { logger: quiet, platform: files({ 'jobs.json': bad }) });
    try {
      await expect(app.start()).rejects.toThrow(/jobs\[0\]\.trigger\.cron\.expression/);
      expect(app.scheduler.running).toBe(false);
      expect(await app.scheduler.store.count()).toBe(0);
    } finally {
      await app.stop();
    }
  }, 60_000);
});

describe('retention', () => {
  it('deletes finished executions older than KAIROS_RETENTION_DAYS, hourly', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const config = loadConfig({ DATABASE_URL: 'memory://', KAIROS_RETENTION_DAYS: '7' });
    const app = await createApp(config, { logger: quiet, clock });
    try {
      await app.start();
      const row = (daysAgo: number) => {
        const at = clock.now() - daysAgo * 86_400_000;
        return {
          id: uuidv7(at),
          jobId: 'j',
          jobName: 'j',
          task: 'log',
          status: 'success' as const,
          triggerKind: 'scheduled' as const,
          scheduledFor: at,
          startedAt: at,
          finishedAt: at,
          durationMs: 0,
          attempt: 1,
          instance: 'test',
          owner: null,
          dueAt: null,
          coversUntil: null,
          coveredFires: 1,
          error: null,
          result: null,
        };
      };
      const old = row(8);
      const recent = row(6);
      await app.scheduler.log.insert([old, recent]);
      await clock.advance(60_000);
      await expect.poll(() => app.scheduler.log.get(old.id)).toBeNull();
      expect(await app.scheduler.log.get(recent.id)).not.toBeNull();
    } finally {
      await app.stop();
    }
  }, 60_000);
});

describe('Redis + PostgreSQL', async () => {
  const redis = await redisAvailability();
  const pg = await postgresAvailability();
  const skip = !redis.available || !pg.available;
  let database: { url: string; drop: () => Promise<void> } | undefined;
  afterAll(() => database?.drop());

  it.skipIf(skip)(
    'applies migrations, becomes ready, and serves mutations against the real stores',
    async () => {
      database = await createTestDatabase('app');
      const prefix = uniquePrefix('app').slice(0, 64);
      const config = loadConfig({ REDIS_URL, DATABASE_URL: database.url, KAIROS_REDIS_PREFIX: prefix });
      const app = await createApp(config, { logger: quiet });
      try {
        await app.start();
        const ready = (await (await get(app, '/readyz')).json()) as { checks: unknown[] };
        expect(ready.checks).toEqual([
          { name: 'scheduler', kind: 'started', ok: true },
          { name: 'jobStore', kind: 'redis', ok: true },
          { name: 'executionLog', kind: 'postgres', ok: true },
        ]);
        const added = await graphql(
          app,
          'mutation { addJob(input: { id: "r1", task: "log", trigger: { interval: { hours: 1 } } }) { id } }',
        );
        expect(added).toEqual({ data: { addJob: { id: 'r1' } } });
        const removed = await graphql(app, 'mutation { removeJob(id: "r1") { id } }');
        expect(removed).toEqual({ data: { removeJob: { id: 'r1' } } });
      } finally {
        await app.stop();
        await deleteRedisPrefix(prefix);
      }
      expect(await app.ready()).toBe(false);
    },
  );
});

describe('the history opening in the background (PGlite starts after createApp returns)', () => {
  it('holds a mutation and a history read until it is open, then answers them', async () => {
    const app = await createApp(loadConfig({ DATABASE_URL: 'memory://' }), { logger: quiet });
    try {
      expect((await app.readiness()).checks.find((c) => c.name === 'executionLog')).toMatchObject({
        ok: false,
        error: 'is opening',
      });
      // The audit row of addJob and the executions count wait for the open (and its migrations).
      const [added, read] = await Promise.all([
        graphql(
          app,
          'mutation { addJob(input: { id: "early", task: "log", trigger: { interval: { hours: 1 } } }) { id } }',
        ),
        graphql(app, '{ executions(first: 5) { totalCount } }'),
      ]);
      expect(added).toEqual({ data: { addJob: { id: 'early' } } });
      expect(read.errors).toBeUndefined();
      await app.start();
      expect(await app.ready()).toBe(true);
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('a stop while the start waits for the history: the scheduler never starts, the stop completes', async () => {
    const app = await createApp(loadConfig({ DATABASE_URL: 'memory://' }), { logger: quiet });
    const starting = app.start();
    await app.stop();
    await starting;
    expect(app.scheduler.running).toBe(false);
    expect(await app.ready()).toBe(false);
  }, 60_000);
});
