/**
 * Rough throughput of the PostgreSQL ExecutionLog: batched insert + batched finish of 50,000 rows
 * against one insert and one finish per row for 2,000 rows, and what a run costs written as a
 * running row then its result (insert + finish) against written once in its final state. The
 * batched figures are taken on postgres.js and on PGlite (in memory). Not a test; prints figures.
 *
 *   node bench/execution-log-insert.ts        (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
 *
 * Creates a scratch database, migrates it with the real migrations, and drops it at the end.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createPostgresExecutionLog } from '../src/adapters/postgres/execution-log.ts';
import { migrate } from '../src/adapters/postgres/migrate.ts';
import { openPglite } from '../src/adapters/postgres/pglite.ts';
import type { Execution } from '../src/core/execution.ts';
import type { ExecutionFinish, ExecutionLog } from '../src/core/ports.ts';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BATCHED_ROWS = 50_000;
const FIRE_BATCH = 1_000;
const SINGLE_ROWS = 2_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function rows(count: number, jobId: string): Execution[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    jobId,
    jobName: 'bench',
    task: 'http',
    status: 'running',
    triggerKind: 'scheduled',
    scheduledFor: T0 + i * 1_000,
    startedAt: T0 + i * 1_000 + 3,
    finishedAt: null,
    durationMs: null,
    attempt: 1,
    instance: 'bench-replica',
    owner: null,
    dueAt: T0 + i * 1_000,
    coversUntil: null,
    coveredFires: 1,
    error: null,
    result: null,
  }));
}

/** The rows as a run written once would store them: already in their final state. */
function finalRows(batch: Execution[]): Execution[] {
  const done = finishes(batch);
  return batch.map((r, i) => {
    const f = done[i] as ExecutionFinish;
    return {
      ...r,
      status: f.status,
      finishedAt: f.finishedAt,
      durationMs: f.durationMs,
      error: f.error,
      result: f.result,
    };
  });
}

function finishes(batch: Execution[]): ExecutionFinish[] {
  return batch.map((r, i) => ({
    id: r.id,
    status: i % 10 === 0 ? 'failed' : 'success',
    startedAt: null,
    finishedAt: r.scheduledFor + 50,
    durationMs: 47,
    error: i % 10 === 0 ? { message: 'HTTP 503', stack: 'Error: HTTP 503\n    at http (task.ts:1:1)' } : null,
    result: { status: 200 },
  }));
}

/**
 * The shape the adapter does not use, for comparison: a VALUES list with 15 parameters per row,
 * chunked under postgres.js's 65,534-parameter limit.
 */
async function insertWithValuesList(db: PostgresJsDatabase, batch: Execution[]): Promise<number> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  let inserted = 0;
  for (let i = 0; i < batch.length; i += 4_368) {
    const values = batch
      .slice(i, i + 4_368)
      .map(
        (r) =>
          sql`(${r.id}, ${r.jobId}, ${r.jobName}, ${r.task}, ${r.status}, ${r.triggerKind}, ${iso(r.scheduledFor)}, ${iso(r.startedAt)}, ${iso(r.finishedAt)}, ${r.durationMs}, ${r.attempt}, ${r.instance}, ${null}, ${null}, ${null})`,
      );
    const result = await db.execute(sql`insert into job_executions (id, job_id, job_name, task, status,
  trigger_kind, scheduled_for, started_at, finished_at, duration_ms, attempt, instance, error_message, error_stack, result)
values ${sql.join(values, sql`, `)} on conflict (job_id, scheduled_for, attempt) do nothing returning id`);
    inserted += result.length;
  }
  return inserted;
}

async function timed(label: string, count: number, statements: () => number, work: () => Promise<void>) {
  const before = statements();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const rate = Math.round(count / (ms / 1_000));
  console.log(
    `${label.padEnd(44)} ${String(count).padStart(6)} rows  ${ms.toFixed(0).padStart(6)} ms  ${String(rate).padStart(8)} rows/s  ${Number.isNaN(before) ? '' : `${statements() - before} statements`}`,
  );
  return rate;
}

/** The batched figures, on either driver. */
async function batched(log: ExecutionLog, count: () => number): Promise<void> {
  // Warm up connections and plans.
  const warm = rows(100, `warm-${randomUUID()}`);
  await log.insert(warm);
  await log.finish(finishes(warm));

  const big = rows(BATCHED_ROWS, `batched-${randomUUID()}`);
  await timed('batched insert, one call', BATCHED_ROWS, count, async () => {
    const inserted = await log.insert(big);
    if (inserted.size !== BATCHED_ROWS) throw new Error(`inserted ${inserted.size}`);
  });
  await timed('batched finish, one call', BATCHED_ROWS, count, () => log.finish(finishes(big)));

  const fires = rows(BATCHED_ROWS, `fires-${randomUUID()}`);
  const twice = await timed(
    `${FIRE_BATCH} runs per batch: insert + finish`,
    BATCHED_ROWS,
    count,
    async () => {
      for (let i = 0; i < fires.length; i += FIRE_BATCH) {
        const batch = fires.slice(i, i + FIRE_BATCH);
        await log.insert(batch);
        await log.finish(finishes(batch));
      }
    },
  );
  const done = finalRows(rows(BATCHED_ROWS, `once-${randomUUID()}`));
  const once = await timed(
    `${FIRE_BATCH} runs per batch: written once, final`,
    BATCHED_ROWS,
    count,
    async () => {
      for (let i = 0; i < done.length; i += FIRE_BATCH) await log.insert(done.slice(i, i + FIRE_BATCH));
    },
  );
  console.log(`written once vs insert + finish: x${(once / twice).toFixed(2)}`);
}

async function pglite(): Promise<void> {
  const connection = await openPglite(undefined);
  try {
    await migrate(connection);
    console.log('PGlite (in memory)');
    await batched(createPostgresExecutionLog(connection.db), () => Number.NaN);
  } finally {
    await connection.close();
  }
}

async function main() {
  const name = `kairos_bench_${process.pid}`;
  const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  const client = postgres(url.toString(), { max: 10, onnotice: () => {} });
  let statements = 0;
  const db = drizzle(client, { logger: { logQuery: () => void statements++ } });
  const count = () => statements;
  try {
    await migrate({ kind: 'postgres', db, url: url.toString(), close: async () => {} });
    const log: ExecutionLog = createPostgresExecutionLog(db);
    const version = await client`select version()`;
    console.log(`${String(version[0]?.version).split(',')[0]}; Node ${process.version}`);

    await batched(log, count);

    const viaValues = rows(BATCHED_ROWS, `values-${randomUUID()}`);
    await timed('(reference) VALUES-list insert, not used', BATCHED_ROWS, count, async () => {
      const inserted = await insertWithValuesList(db, viaValues);
      if (inserted !== BATCHED_ROWS) throw new Error(`inserted ${inserted}`);
    });

    const single = rows(SINGLE_ROWS, `single-${randomUUID()}`);
    const insertRate = await timed('batched insert (again, for the ratio)', BATCHED_ROWS, count, async () => {
      await log.insert(rows(BATCHED_ROWS, `again-${randomUUID()}`));
    });
    const singleInsertRate = await timed('one insert per row', SINGLE_ROWS, count, async () => {
      for (const r of single) await log.insert([r]);
    });
    await timed('one finish per row', SINGLE_ROWS, count, async () => {
      for (const f of finishes(single)) await log.finish([f]);
    });
    console.log(`batched vs per row: insert x${(insertRate / singleInsertRate).toFixed(1)}`);
  } finally {
    await client.end();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

await main();
await pglite();
