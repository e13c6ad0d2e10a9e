/**
 * Overlap policies end to end over GraphQL, on memory + PGlite and on Redis + PostgreSQL (the
 * queue script and the status check are the real ones): four jobs firing every second with a
 * handler that takes 1.5 s, one per policy. Who ran, who was SKIPPED, who waited and who was
 * CANCELLED is read back from the history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, openPostgres } from '../../src/adapters/postgres/connect.ts';
import { createPostgresExecutionLog } from '../../src/adapters/postgres/execution-log.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { createRedisJobStore } from '../../src/adapters/redis/job-store.ts';
import type { JobStore } from '../../src/core/ports.ts';
import type { TaskHandler } from '../../src/core/task.ts';
import { connect, dropPrefix } from '../adapters/redis-harness.ts';
import {
  createTestDatabase,
  postgresAvailability,
  redisAvailability,
  uniquePrefix,
} from '../support/services.ts';
import { createTestApp, type TestApp } from './harness.ts';

const POLICIES = ['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER'] as const;
const HANDLER_MS = 1_500;

interface Row {
  scheduledFor: string;
  startedAt: string | null;
  finishedAt: string | null;
  status: string;
}

// Slow, and stops when its signal is aborted, as a task should.
const slowHandler: TaskHandler = (_args, ctx) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve({ ok: true }), HANDLER_MS);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(ctx.signal.reason);
    });
  });

interface Backend {
  name: string;
  skip: boolean;
  open(): Promise<{ app: TestApp; close(): Promise<void> }>;
}

const [redis, postgres] = await Promise.all([redisAvailability(), postgresAvailability()]);
const BACKENDS: Backend[] = [
  {
    name: 'memory + PGlite',
    skip: false,
    async open() {
      const connection = await openPglite(undefined);
      await migrate(connection);
      const pg = createPostgresExecutionLog(connection.db);
      const app = createTestApp({ wrapLog: () => pg, handler: slowHandler });
      return { app, close: () => connection.close() };
    },
  },
  {
    name: 'Redis + PostgreSQL',
    skip: !redis.available || !postgres.available,
    async open() {
      const database = await createTestDatabase('overlap');
      const connection = openPostgres(database.url);
      await migrate(connection);
      const pg = createPostgresExecutionLog(connection.db);
      const prefix = uniquePrefix('overlap');
      const client = connect();
      const store: JobStore = createRedisJobStore({ redis: client, prefix });
      const app = createTestApp({ wrapStore: () => store, wrapLog: () => pg, handler: slowHandler });
      return {
        app,
        async close() {
          await store.close();
          await dropPrefix(client, prefix);
          client.disconnect();
          await connection.close();
          await database.drop();
        },
      };
    },
  },
];

async function history(app: TestApp, id: string): Promise<Row[]> {
  const data = await app.data<{ job: { executions: { edges: { node: Row }[] } } }>(
    `query($id: ID!) { job(id: $id) { executions(first: 100) { edges { node {
       scheduledFor startedAt finishedAt status } } } } }`,
    { id },
  );
  return data.job.executions.edges
    .map((e) => e.node)
    .sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor));
}

describe.each(BACKENDS)('overlap policies over GraphQL: $name', (backend) => {
  let app: TestApp;
  let close: () => Promise<void>;
  beforeAll(async () => {
    if (backend.skip) return;
    ({ app, close } = await backend.open());
  }, 60_000);
  afterAll(async () => {
    await app?.scheduler.stop({ deadlineMs: 3_000 });
    await close?.();
  });

  it.skipIf(backend.skip)(
    'SKIP, BUFFER_ONE, BUFFER_ALL and CANCEL_OTHER each leave the history they promise',
    async () => {
      for (const policy of POLICIES) {
        const added = await app.data<{ addJob: { overlap: string } }>(
          `mutation($input: AddJobInput!) { addJob(input: $input) { overlap } }`,
          { input: { id: policy, task: 'test', trigger: { interval: { seconds: 1 } }, overlap: policy } },
        );
        expect(added.addJob.overlap).toBe(policy);
      }
      await new Promise((resolve) => setTimeout(resolve, 4_300));
      for (const policy of POLICIES) await app.data(`mutation { pauseJob(id: "${policy}") { paused } }`);
      // Let what runs or waits finish (BUFFER_ALL has a backlog of about 2 runs of 1.5 s).
      await new Promise((resolve) => setTimeout(resolve, 4 * HANDLER_MS));

      const skip = await history(app, 'SKIP');
      expect(skip.map((r) => r.status)).toContain('SKIPPED');
      expect(skip.every((r) => r.status === 'SUCCESS' || r.status === 'SKIPPED')).toBe(true);
      expect(skip.filter((r) => r.status === 'SKIPPED').every((r) => r.startedAt === null)).toBe(true);

      // One waits (and starts late, when the slot frees); a second one due meanwhile is SKIPPED.
      const one = await history(app, 'BUFFER_ONE');
      expect(one.map((r) => r.status)).toContain('SKIPPED');
      const waited = one.filter(
        (r) => r.startedAt !== null && Date.parse(r.startedAt) - Date.parse(r.scheduledFor) > 300,
      );
      expect(waited.length).toBeGreaterThan(0);

      // All wait, none is skipped, they start in order, one after the other ends.
      const all = await history(app, 'BUFFER_ALL');
      expect(all.length).toBeGreaterThanOrEqual(4);
      expect(all.every((r) => r.status === 'SUCCESS')).toBe(true);
      for (let i = 1; i < all.length; i++) {
        expect(Date.parse(all[i]?.startedAt ?? '')).toBeGreaterThanOrEqual(
          Date.parse(all[i - 1]?.finishedAt ?? ''),
        );
      }

      // Each new fire cancels the one running: no SKIPPED, every run but the last CANCELLED.
      const cancel = await history(app, 'CANCEL_OTHER');
      expect(cancel.map((r) => r.status)).toContain('CANCELLED');
      expect(cancel.some((r) => r.status === 'SKIPPED')).toBe(false);
      expect(cancel.at(-1)?.status).toBe('SUCCESS');
    },
    30_000,
  );
});
