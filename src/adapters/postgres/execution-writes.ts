/**
 * The batched write statements of the PostgreSQL ExecutionLog: rows to insert, results to apply.
 *
 * A batch travels column-wise, as one array literal parameter per column expanded by `unnest`: the
 * statement text is constant (no placeholder per row, no 65,535-parameter limit), and building the
 * arrays costs Node about a third less CPU than one JSON object per row (bench/execution-log-insert.ts;
 * the server's time per row is the same within noise, its indexes dominate). Times go as epoch ms
 * (float8), turned into timestamptz by `to_timestamp` in SQL, so no ISO string is formatted or
 * parsed. COPY was measured too and was slower here at these batch sizes (a temporary table is
 * needed for ON CONFLICT), and PGlite only copies from a file. Each literal is cast from `text`, so
 * no driver tries to serialize the string as an array itself.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Execution } from '../../core/execution.ts';
import type { ExecutionFinish } from '../../core/ports.ts';

// The array literals of one statement stay under this many characters (unless one row alone is
// larger): a few thousand plain rows. ~1-2 MB per statement was the fastest on PG 15.
const MAX_BATCH_CHARS = 1024 * 1024;

/** An element of a text[] literal: quoted, with `"` and `\` escaped; NULL unquoted. */
function text(value: string | null): string {
  if (value === null) return 'NULL';
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/** An element of a numeric array literal (uuids too: they are validated, never need quotes). */
function plain(value: number | string | null): string {
  return value === null ? 'NULL' : String(value);
}

type Column<T> = (item: T) => string;

/** The items' columns as array literals, split into batches under MAX_BATCH_CHARS. */
function columnBatches<T>(items: T[], columns: Column<T>[]): string[][] {
  const batches: string[][] = [];
  let parts: string[][] = columns.map(() => []);
  let size = 0;
  let count = 0;
  const close = () => batches.push(parts.map((column) => `{${column.join(',')}}`));
  for (const item of items) {
    const cells = columns.map((column) => column(item));
    const width = cells.reduce((sum, cell) => sum + cell.length + 1, 0);
    if (count > 0 && size + width > MAX_BATCH_CHARS) {
      close();
      parts = columns.map(() => []);
      size = 0;
      count = 0;
    }
    for (let i = 0; i < cells.length; i++) parts[i]?.push(cells[i] as string);
    size += width;
    count += 1;
  }
  if (count > 0) close();
  return batches;
}

const ROW_COLUMNS: Column<Execution>[] = [
  (r) => r.id,
  (r) => text(r.jobId),
  (r) => text(r.jobName),
  (r) => text(r.task),
  (r) => r.status,
  (r) => r.triggerKind,
  (r) => String(r.scheduledFor),
  (r) => plain(r.startedAt),
  (r) => plain(r.finishedAt),
  (r) => plain(r.durationMs),
  (r) => String(r.attempt),
  (r) => text(r.instance),
  (r) => text(r.owner ?? null),
  (r) => plain(r.dueAt),
  (r) => plain(r.coversUntil),
  (r) => String(r.coveredFires),
  (r) => text(r.error?.message ?? null),
  (r) => text(r.error?.stack ?? null),
  (r) => text(r.result === null ? null : JSON.stringify(r.result)),
  (r) => r.overlap ?? 'NULL',
];

/** Insert statements for the rows; each returns the ids it inserted. */
export function insertStatements(rows: Execution[]): SQL[] {
  return columnBatches(rows, ROW_COLUMNS).map(
    (c) => sql`insert into job_executions (id, job_id, job_name, task, status, trigger_kind, scheduled_for,
  started_at, finished_at, duration_ms, attempt, instance, owner, due_at, covers_until, covered_fires,
  error_message, error_stack, result, overlap)
select id, job_id, job_name, task, status, trigger_kind, to_timestamp(scheduled_for / 1000),
  to_timestamp(started_at / 1000), to_timestamp(finished_at / 1000), duration_ms, attempt, instance, owner,
  to_timestamp(due_at / 1000), to_timestamp(covers_until / 1000), covered_fires,
  error_message, error_stack, result::jsonb, overlap
from unnest(${c[0]}::text::uuid[], ${c[1]}::text::text[], ${c[2]}::text::text[], ${c[3]}::text::text[],
  ${c[4]}::text::text[], ${c[5]}::text::text[], ${c[6]}::text::float8[], ${c[7]}::text::float8[],
  ${c[8]}::text::float8[], ${c[9]}::text::integer[], ${c[10]}::text::integer[], ${c[11]}::text::text[],
  ${c[12]}::text::text[], ${c[13]}::text::float8[], ${c[14]}::text::float8[], ${c[15]}::text::integer[],
  ${c[16]}::text::text[], ${c[17]}::text::text[], ${c[18]}::text::text[], ${c[19]}::text::text[])
  as r (id, job_id, job_name, task, status, trigger_kind, scheduled_for, started_at, finished_at,
    duration_ms, attempt, instance, owner, due_at, covers_until, covered_fires, error_message, error_stack, result,
    overlap)
on conflict (job_id, scheduled_for, attempt) do nothing
returning id`,
  );
}

const FIRE_COLUMNS: Column<Execution>[] = [
  (r) => r.id,
  (r) => text(r.jobId),
  (r) => String(r.scheduledFor),
  (r) => String(r.attempt),
];

/**
 * Of rows the insert skipped, those already stored under their own id with the same fire key: an
 * earlier call with the same rows (whose reply was lost) inserted them.
 */
export function storedUnderIdStatements(rows: Execution[]): SQL[] {
  return columnBatches(rows, FIRE_COLUMNS).map(
    (c) => sql`select e.id from job_executions e
join unnest(${c[0]}::text::uuid[], ${c[1]}::text::text[], ${c[2]}::text::float8[], ${c[3]}::text::integer[])
  as r (id, job_id, scheduled_for, attempt)
  on e.id = r.id and e.job_id = r.job_id and e.scheduled_for = to_timestamp(r.scheduled_for / 1000)
    and e.attempt = r.attempt`,
  );
}

const FINISH_COLUMNS: Column<ExecutionFinish>[] = [
  (u) => u.id,
  (u) => u.status,
  (u) => plain(u.startedAt),
  (u) => String(u.finishedAt),
  (u) => plain(u.durationMs),
  (u) => text(u.error?.message ?? null),
  (u) => text(u.error?.stack ?? null),
  (u) => text(u.result === null ? null : JSON.stringify(u.result)),
];

/** Only rows still pending or running change: a final row never does (a late result never wins). */
export function finishStatements(updates: ExecutionFinish[]): SQL[] {
  return columnBatches(updates, FINISH_COLUMNS).map(
    (c) => sql`update job_executions as e
set status = v.status, started_at = coalesce(to_timestamp(v.started_at / 1000), e.started_at),
  finished_at = to_timestamp(v.finished_at / 1000), duration_ms = v.duration_ms,
  error_message = v.error_message, error_stack = v.error_stack, result = v.result::jsonb
from unnest(${c[0]}::text::uuid[], ${c[1]}::text::text[], ${c[2]}::text::float8[], ${c[3]}::text::float8[],
  ${c[4]}::text::integer[], ${c[5]}::text::text[], ${c[6]}::text::text[], ${c[7]}::text::text[])
  as v (id, status, started_at, finished_at, duration_ms, error_message, error_stack, result)
where e.id = v.id and e.status in ('pending', 'running')`,
  );
}
