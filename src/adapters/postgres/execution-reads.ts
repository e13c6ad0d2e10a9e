/**
 * The read side of the PostgreSQL ExecutionLog: the columns selected (times as epoch ms computed in
 * SQL, so no driver ever parses a timestamp string; `result` as text, parsed here for the same
 * reason), the row decoder and the query statements.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Execution, ExecutionStatus, TriggerKind } from '../../core/execution.ts';
import type { OverlapPolicy } from '../../core/job.ts';
import type { JsonValue } from '../../core/json.ts';
import type { ExecutionFilter, ExecutionQuery } from '../../core/ports.ts';
import { normalizeQuery } from '../execution-log-shared.ts';

export const COLUMNS = sql.raw(
  [
    'id',
    'job_id',
    'job_name',
    'task',
    'status',
    'trigger_kind',
    '(extract(epoch from scheduled_for) * 1000)::float8 as scheduled_for',
    '(extract(epoch from started_at) * 1000)::float8 as started_at',
    '(extract(epoch from finished_at) * 1000)::float8 as finished_at',
    'duration_ms',
    'attempt',
    'instance',
    'owner',
    '(extract(epoch from due_at) * 1000)::float8 as due_at',
    '(extract(epoch from covers_until) * 1000)::float8 as covers_until',
    'covered_fires',
    'error_message',
    'error_stack',
    'result::text as result',
    'overlap',
  ].join(', '),
);

export interface RawRow {
  id: string;
  job_id: string;
  job_name: string;
  task: string;
  status: string;
  trigger_kind: string;
  scheduled_for: number | string;
  started_at: number | string | null;
  finished_at: number | string | null;
  duration_ms: number | null;
  attempt: number;
  instance: string;
  owner: string | null;
  due_at: number | string | null;
  covers_until: number | string | null;
  covered_fires: number;
  error_message: string | null;
  error_stack: string | null;
  result: string | null;
  overlap: string | null;
}

export function toMs(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

export function fromRaw(row: RawRow): Execution {
  const execution: Execution = {
    id: row.id,
    jobId: row.job_id,
    jobName: row.job_name,
    task: row.task,
    status: row.status as ExecutionStatus,
    triggerKind: row.trigger_kind as TriggerKind,
    scheduledFor: Number(row.scheduled_for),
    startedAt: toMs(row.started_at),
    finishedAt: toMs(row.finished_at),
    durationMs: row.duration_ms,
    attempt: row.attempt,
    instance: row.instance,
    owner: row.owner,
    dueAt: toMs(row.due_at),
    coversUntil: toMs(row.covers_until),
    coveredFires: row.covered_fires,
    error: row.error_message === null ? null : { message: row.error_message, stack: row.error_stack },
    result: row.result === null ? null : (JSON.parse(row.result) as JsonValue),
  };
  // Only backfill rows have one: the other rows keep the shape they were written with.
  if (row.overlap !== null) execution.overlap = row.overlap as OverlapPolicy;
  return execution;
}

/** postgres.js answers with an array of rows, PGlite with `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A JSON array of strings as a one-parameter set of rows. */
export function textSet(values: string[]): SQL {
  return sql`(select value from json_array_elements_text(${JSON.stringify(values)}::text::json))`;
}

function filtersOf(q: ReturnType<typeof normalizeQuery>): SQL[] {
  const where: SQL[] = [];
  if (q.jobId !== null) where.push(sql`job_id = ${q.jobId}`);
  if (q.status !== null)
    where.push(
      sql`status in (${sql.join(
        q.status.map((s) => sql`${s}`),
        sql`, `,
      )})`,
    );
  if (q.since !== null) where.push(sql`scheduled_for >= ${iso(q.since)}::timestamptz`);
  if (q.until !== null) where.push(sql`scheduled_for < ${iso(q.until)}::timestamptz`);
  return where;
}

export function countStatement(filter: ExecutionFilter): SQL {
  const where = filtersOf(normalizeQuery({ ...filter, first: 0 }));
  const clause = where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``;
  return sql`select count(*)::int as n from job_executions ${clause}`;
}

/*
 * One statement: the window's rows once (through the fire key index: job_id, scheduled_for), the
 * aggregates over them, and the newest success by a backward scan of the same index.
 * `case` before `greatest`: greatest(0, null) is 0, and a row that never started has no lateness.
 */
export function statsStatement(jobId: string, since: number): SQL {
  return sql`with w as (
  select status, duration_ms,
    case when started_at is null then null else greatest(0, (extract(epoch from started_at -
      case when trigger_kind = 'retry' then coalesce(due_at, scheduled_for) else scheduled_for end) * 1000)::float8)
    end as lateness
  from job_executions where job_id = ${jobId} and scheduled_for >= ${iso(since)}::timestamptz
)
select
  (select coalesce(json_object_agg(status, n), '{}'::json)::text
    from (select status, count(*)::int as n from w group by status) c) as counts,
  percentile_cont(0.5) within group (order by lateness) as lateness_p50,
  percentile_cont(0.99) within group (order by lateness) as lateness_p99,
  percentile_cont(0.5) within group (order by duration_ms) as duration_p50,
  percentile_cont(0.99) within group (order by duration_ms) as duration_p99,
  (select (extract(epoch from e.finished_at) * 1000)::float8 from job_executions e
    where e.job_id = ${jobId} and e.status = 'success'
    order by e.scheduled_for desc, e.attempt desc limit 1) as last_success
from w`;
}

export interface RawStats {
  counts: string;
  lateness_p50: number | string | null;
  lateness_p99: number | string | null;
  duration_p50: number | string | null;
  duration_p99: number | string | null;
  last_success: number | string | null;
}

export function listStatement(query: ExecutionQuery): { statement: SQL; first: number } {
  const q = normalizeQuery(query);
  const where = filtersOf(q);
  if (q.after !== null)
    where.push(
      sql`(scheduled_for, attempt, id) < (${iso(q.after.scheduledFor)}::timestamptz, ${q.after.attempt}::integer, ${q.after.id}::uuid)`,
    );
  const filter = where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``;
  // Within one job (scheduled_for, attempt) is unique, so the id adds nothing to the order there,
  // and leaving it out lets the unique index deliver the rows already sorted.
  // Qualified: a bare `scheduled_for` in ORDER BY names the output column (the epoch ms float of
  // COLUMNS), which no index holds, so every list sorted the whole table.
  const order =
    q.jobId !== null
      ? sql`order by e.scheduled_for desc, e.attempt desc`
      : sql`order by e.scheduled_for desc, e.attempt desc, e.id desc`;
  return {
    statement: sql`select ${COLUMNS} from job_executions e ${filter} ${order} limit ${q.first + 1}`,
    first: q.first,
  };
}
