/**
 * Upgrading a database created by an earlier release: the first migration alone is applied, a row
 * written as that release wrote it, then migrate() brings the schema up to date. Shared by the
 * PGlite and PostgreSQL suites (not a test file itself).
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Database } from '../../src/adapters/postgres/connect.ts';
import { createPostgresExecutionLog } from '../../src/adapters/postgres/execution-log.ts';
import { MIGRATIONS_FOLDER } from '../../src/adapters/postgres/migrate.ts';

interface Journal {
  entries: { idx: number; tag: string }[];
}

/** A migrations folder holding only the first migration (0000), as the first release shipped it. */
export function firstReleaseMigrations(): { folder: string; remove: () => void } {
  const folder = mkdtempSync(join(tmpdir(), 'kairos-migrations-'));
  mkdirSync(join(folder, 'meta'));
  const journal = JSON.parse(
    readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
  ) as Journal;
  const [first] = journal.entries;
  if (!first) throw new Error('no migration in the journal');
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: [first] }));
  copyFileSync(join(MIGRATIONS_FOLDER, `${first.tag}.sql`), join(folder, `${first.tag}.sql`));
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

/** Write a row with the first release's columns only; returns its id. */
export async function insertFirstReleaseRow(db: Database, status = 'running'): Promise<string> {
  const id = randomUUID();
  await db.execute(sql`insert into job_executions (id, job_id, job_name, task, status, trigger_kind,
  scheduled_for, started_at, attempt, instance)
values (${id}::uuid, 'old-job', 'Old job', 'log', ${status}, 'scheduled',
  '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.005Z', 1, 'old-replica')`);
  return id;
}

/** After migrate(): the old row reads with the new fields' defaults, and the new rules hold. */
export async function expectUpgraded(db: Database, oldId: string): Promise<void> {
  const log = createPostgresExecutionLog(db);
  const old = await log.get(oldId);
  expect(old).toMatchObject({
    id: oldId,
    status: 'running',
    scheduledFor: Date.parse('2026-01-01T00:00:00.000Z'),
    dueAt: null,
    coversUntil: null,
    coveredFires: 1,
  });
  // The old row is a running row without dueAt: the sweep finds it by scheduledFor.
  expect((await log.listRunning(Date.parse('2026-01-02T00:00:00.000Z'), 10)).map((r) => r.id)).toEqual([
    oldId,
  ]);

  const pendingId = randomUUID();
  const dueAt = Date.parse('2026-01-01T00:01:00.000Z');
  await log.insert([
    {
      ...(old as NonNullable<typeof old>),
      id: pendingId,
      status: 'pending',
      triggerKind: 'retry',
      attempt: 2,
      startedAt: null,
      dueAt,
    },
  ]);
  expect(await log.nextPendingAt()).toBe(dueAt);
  expect((await log.claimPending(dueAt, 10, 'new-replica')).map((r) => r.id)).toEqual([pendingId]);

  // The constraints themselves, past the adapter's own checks.
  const violation = (statement: ReturnType<typeof sql>) =>
    db.execute(statement).then(
      () => null,
      (error: unknown) => error,
    );
  const badFires = await violation(
    sql`update job_executions set covered_fires = 0 where id = ${oldId}::uuid`,
  );
  expect(String((badFires as { cause?: unknown })?.cause ?? badFires)).toMatch(/covered_fires_check/);
  const badStatus = await violation(
    sql`update job_executions set status = 'waiting' where id = ${oldId}::uuid`,
  );
  expect(String((badStatus as { cause?: unknown })?.cause ?? badStatus)).toMatch(/status_check/);
  // 0007: a backfill row's overlap policy; the old row has none, and only the four policies go in.
  expect(old?.overlap).toBeUndefined();
  const badOverlap = await violation(
    sql`update job_executions set overlap = 'allow_all' where id = ${oldId}::uuid`,
  );
  expect(String((badOverlap as { cause?: unknown })?.cause ?? badOverlap)).toMatch(/overlap_check/);
  await db.execute(sql`update job_executions set overlap = 'buffer_one' where id = ${pendingId}::uuid`);
  expect((await log.get(pendingId))?.overlap).toBe('buffer_one');

  const indexes = await db.execute(
    sql`select indexname from pg_indexes where tablename = 'job_executions' order by indexname`,
  );
  const names = (Array.isArray(indexes) ? indexes : (indexes as { rows: unknown[] }).rows).map(
    (row) => (row as { indexname: string }).indexname,
  );
  expect(names).toEqual(expect.arrayContaining(['job_executions_pending_idx', 'job_executions_status_idx']));
  // Dropped by 0006: the running rows are read through the status index.
  expect(names).not.toContain('job_executions_running_idx');
  expect(names).not.toContain('job_executions_owner_idx');
}
