/**
 * ExecutionLog on PostgreSQL (postgres.js or PGlite, through drizzle). Written for batches: one
 * insert and one update statement per batch however many rows it holds (see insertStatement); an
 * insert that skipped rows adds one select to tell a repeated call's rows from fire-key conflicts.
 *
 * Times are timestamptz(3); they are read back as epoch ms computed in SQL, so no driver ever parses
 * a timestamp string. `result` is read as text and parsed here, for the same reason.
 */
import { type SQL, sql } from 'drizzle-orm';
import { ConflictError } from '../../core/errors.ts';
import type { Execution, ExecutionStatus, TriggerKind } from '../../core/execution.ts';
import type { JsonValue } from '../../core/json.ts';
import type {
  ExecutionFilter,
  ExecutionFinish,
  ExecutionLog,
  ExecutionQuery,
  ExecutionStats,
  Page,
} from '../../core/ports.ts';
import {
  abandonError,
  checkLimit,
  checkTime,
  compareDue,
  encodeCursor,
  isUuid,
  normalizeFinishes,
  normalizeIds,
  normalizeQuery,
  normalizeRow,
} from '../execution-log-shared.ts';
import type { Database } from './connect.ts';
import { toStoreError, violates } from './errors.ts';

const COLUMNS = sql.raw(
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
  ].join(', '),
);

interface RawRow {
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
}

function toMs(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function fromRaw(row: RawRow): Execution {
  return {
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
}

/** postgres.js answers with an array of rows, PGlite with `{ rows }`. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

// One statement carries a batch as a single JSON parameter of at most this many characters (unless
// one row alone is larger): about 3,000 plain rows. Measured on PG 15: ~1-2 MB per statement is the
// fastest; at 8 MB the server spends more time per row than at 1 MB.
const MAX_BATCH_CHARS = 1024 * 1024;

/** JSON arrays of the items, each array under MAX_BATCH_CHARS unless one item alone is larger. */
function jsonBatches<T>(items: T[], toJson: (item: T) => string): string[] {
  const batches: string[] = [];
  let parts: string[] = [];
  let size = 0;
  for (const item of items) {
    const part = toJson(item);
    if (parts.length > 0 && size + part.length > MAX_BATCH_CHARS) {
      batches.push(`[${parts.join(',')}]`);
      parts = [];
      size = 0;
    }
    parts.push(part);
    size += part.length + 1;
  }
  if (parts.length > 0) batches.push(`[${parts.join(',')}]`);
  return batches;
}

function insertJson(r: Execution): string {
  return JSON.stringify({
    id: r.id,
    job_id: r.jobId,
    job_name: r.jobName,
    task: r.task,
    status: r.status,
    trigger_kind: r.triggerKind,
    scheduled_for: iso(r.scheduledFor),
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
    duration_ms: r.durationMs,
    attempt: r.attempt,
    instance: r.instance,
    owner: r.owner ?? null,
    due_at: iso(r.dueAt),
    covers_until: iso(r.coversUntil),
    covered_fires: r.coveredFires,
    error_message: r.error?.message ?? null,
    error_stack: r.error?.stack ?? null,
    result: r.result,
  });
}

function finishJson(u: ExecutionFinish): string {
  return JSON.stringify({
    id: u.id,
    status: u.status,
    started_at: iso(u.startedAt),
    finished_at: iso(u.finishedAt),
    duration_ms: u.durationMs,
    error_message: u.error?.message ?? null,
    error_stack: u.error?.stack ?? null,
    result: u.result,
  });
}

/*
 * Batches travel as one JSON text parameter expanded by json_to_recordset, not as a VALUES list of
 * 18 parameters per row: the statement text is constant, so neither drizzle nor the server handles
 * tens of thousands of placeholders (measured ~3x faster), and the 65,535-parameter limit never
 * applies. json rather than jsonb: it is only validated, not converted (faster here).
 * `::text::json` keeps every driver from serializing the text a second time.
 */
function insertStatement(batch: string): SQL {
  return sql`insert into job_executions (id, job_id, job_name, task, status, trigger_kind, scheduled_for,
  started_at, finished_at, duration_ms, attempt, instance, owner, due_at, covers_until, covered_fires,
  error_message, error_stack, result)
select id, job_id, job_name, task, status, trigger_kind, scheduled_for,
  started_at, finished_at, duration_ms, attempt, instance, owner, due_at, covers_until, covered_fires,
  error_message, error_stack, result
from json_to_recordset(${batch}::text::json) as r (id uuid, job_id text, job_name text, task text,
  status text, trigger_kind text, scheduled_for timestamptz, started_at timestamptz, finished_at timestamptz,
  duration_ms integer, attempt integer, instance text, owner text, due_at timestamptz, covers_until timestamptz,
  covered_fires integer, error_message text, error_stack text, result jsonb)
on conflict (job_id, scheduled_for, attempt) do nothing
returning id`;
}

function fireJson(r: Execution): string {
  return JSON.stringify({
    id: r.id,
    job_id: r.jobId,
    scheduled_for: iso(r.scheduledFor),
    attempt: r.attempt,
  });
}

/**
 * Of rows the insert skipped, those already stored under their own id with the same fire key: an
 * earlier call with the same rows (whose reply was lost) inserted them.
 */
function storedUnderIdStatement(batch: string): SQL {
  return sql`select e.id from job_executions e
join json_to_recordset(${batch}::text::json) as r (id uuid, job_id text, scheduled_for timestamptz, attempt integer)
  on e.id = r.id and e.job_id = r.job_id and e.scheduled_for = r.scheduled_for and e.attempt = r.attempt`;
}

// Only rows still pending or running change: a final row never does (a late result never wins).
function finishStatement(batch: string): SQL {
  return sql`update job_executions as e
set status = v.status, started_at = coalesce(v.started_at, e.started_at), finished_at = v.finished_at,
  duration_ms = v.duration_ms, error_message = v.error_message, error_stack = v.error_stack, result = v.result
from json_to_recordset(${batch}::text::json) as v (id uuid, status text, started_at timestamptz,
  finished_at timestamptz, duration_ms integer, error_message text, error_stack text, result jsonb)
where e.id = v.id and e.status in ('pending', 'running')`;
}

/** A JSON array of strings as a one-parameter set of rows. */
function textSet(values: string[]): SQL {
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

function countStatement(filter: ExecutionFilter): SQL {
  const where = filtersOf(normalizeQuery({ ...filter, first: 0 }));
  const clause = where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``;
  return sql`select count(*)::int as n from job_executions ${clause}`;
}

/*
 * One statement: the window's rows once (through the fire key index: job_id, scheduled_for), the
 * aggregates over them, and the newest success by a backward scan of the same index.
 * `case` before `greatest`: greatest(0, null) is 0, and a row that never started has no lateness.
 */
function statsStatement(jobId: string, since: number): SQL {
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

interface RawStats {
  counts: string;
  lateness_p50: number | string | null;
  lateness_p99: number | string | null;
  duration_p50: number | string | null;
  duration_p99: number | string | null;
  last_success: number | string | null;
}

function listStatement(query: ExecutionQuery): { statement: SQL; first: number } {
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

export interface PostgresExecutionLogOptions {
  /** Called by close(); the log does not own the connection unless told how to close it. */
  close?: () => Promise<void>;
}

export function createPostgresExecutionLog(
  db: Database,
  options: PostgresExecutionLogOptions = {},
): ExecutionLog {
  async function run<T>(query: SQL): Promise<T[]> {
    try {
      return rowsOf<T>(await db.execute(query));
    } catch (error) {
      throw toStoreError(error);
    }
  }

  return {
    async insert(rows) {
      const stored = new Set<string>();
      if (rows.length === 0) return stored;
      const normalized = rows.map(normalizeRow);
      for (const batch of jsonBatches(normalized, insertJson)) {
        try {
          for (const row of await run<{ id: string }>(insertStatement(batch))) stored.add(row.id);
        } catch (error) {
          // A fire key conflict is absorbed by ON CONFLICT (a repeated row conflicts there too, as
          // it has the same key); only an id reused under another fire key gets here.
          if (violates(error, 'job_executions_pkey'))
            throw new ConflictError('an execution id already exists under another fire');
          throw error;
        }
      }
      // The common case ends here. Otherwise some rows were skipped: a fire key taken by another
      // row, or the same row stored by an earlier call.
      const skipped = normalized.filter((row) => !stored.has(row.id));
      if (skipped.length > 0)
        for (const batch of jsonBatches(skipped, fireJson))
          for (const row of await run<{ id: string }>(storedUnderIdStatement(batch))) stored.add(row.id);
      return stored;
    },

    async finish(updates) {
      const normalized = normalizeFinishes(updates);
      if (normalized.length === 0) return;
      for (const batch of jsonBatches(normalized, finishJson)) await run(finishStatement(batch));
    },

    async claimPending(now, limit, instance, owner = null) {
      checkTime('now', now);
      checkLimit(limit);
      if (limit === 0) return [];
      // SKIP LOCKED: a concurrent caller passes over rows this one is taking instead of waiting for
      // them, and never gets one of them (it re-checks status = 'pending' when it locks).
      // The rows are picked in a materialized CTE, not in `id in (select ... limit n for update skip
      // locked)`: the planner may run that subquery once per outer row (a nested-loop semi join),
      // and each run skips the rows the previous ones already updated, so LIMIT bounds nothing
      // (seen on PGlite and PostgreSQL 15: 60 rows claimed with limit 10).
      const rows = await run<RawRow>(sql`with picked as materialized (
  select id as picked_id from job_executions
  where status = 'pending' and due_at <= ${iso(now)}::timestamptz
  order by due_at, id
  limit ${limit}
  for update skip locked
)
update job_executions set status = 'running', instance = ${instance}, owner = ${owner}
from picked
where id = picked_id and status = 'pending'
returning ${COLUMNS}`);
      return rows.map(fromRaw).sort(compareDue);
    },

    async nextPendingAt() {
      const [row] = await run<{ at: number | string | null }>(
        sql`select (extract(epoch from min(due_at)) * 1000)::float8 as at from job_executions where status = 'pending'`,
      );
      return toMs(row?.at ?? null);
    },

    async listRunning(olderThan, limit) {
      checkTime('olderThan', olderThan);
      checkLimit(limit);
      if (limit === 0) return [];
      // The expression is written as job_executions_running_idx indexes it.
      const rows = await run<RawRow>(sql`select ${COLUMNS} from job_executions e
where e.status = 'running' and coalesce(e.due_at, e.scheduled_for) < ${iso(olderThan)}::timestamptz
order by coalesce(e.due_at, e.scheduled_for), e.id
limit ${limit}`);
      return rows.map(fromRaw);
    },

    async listRunningOf(owner, limit) {
      checkLimit(limit);
      if (limit === 0) return [];
      const rows = await run<RawRow>(sql`select ${COLUMNS} from job_executions e
where e.status = 'running' and e.owner = ${owner}
order by coalesce(e.due_at, e.scheduled_for), e.id
limit ${limit}`);
      return rows.map(fromRaw);
    },

    async requeue(ids) {
      const valid = normalizeIds(ids);
      if (valid.length === 0) return [];
      const rows = await run<RawRow>(sql`update job_executions
set status = 'pending', owner = null, due_at = coalesce(due_at, scheduled_for)
where id in (select value::uuid from ${textSet(valid)} as ids (value)) and status = 'running'
returning ${COLUMNS}`);
      return rows.map(fromRaw).sort(compareDue);
    },

    async get(id) {
      if (!isUuid(id)) return null;
      const [row] = await run<RawRow>(sql`select ${COLUMNS} from job_executions where id = ${id}::uuid`);
      return row ? fromRaw(row) : null;
    },

    async list(query): Promise<Page<Execution>> {
      const { statement, first } = listStatement(query);
      const rows = (await run<RawRow>(statement)).map(fromRaw);
      const items = rows.slice(0, first);
      const last = items.at(-1);
      return { items, hasNextPage: rows.length > first, endCursor: last ? encodeCursor(last) : null };
    },

    async count(filter) {
      const [row] = await run<{ n: number }>(countStatement(filter));
      return row?.n ?? 0;
    },

    async stats(jobId, since): Promise<ExecutionStats> {
      checkTime('since', since);
      const [row] = await run<RawStats>(statsStatement(jobId, since));
      if (!row) throw new Error('the stats query returned no row');
      return {
        counts: JSON.parse(row.counts) as ExecutionStats['counts'],
        latenessP50Ms: toMs(row.lateness_p50),
        latenessP99Ms: toMs(row.lateness_p99),
        durationP50Ms: toMs(row.duration_p50),
        durationP99Ms: toMs(row.duration_p99),
        lastSuccessAt: toMs(row.last_success),
      };
    },

    async latestByJob(jobIds) {
      const latest = new Map<string, Execution>();
      if (jobIds.length === 0) return latest;
      // One index probe per job (LIMIT 1 in a lateral join) rather than DISTINCT ON, which would
      // read every row of every job asked for.
      const rows = await run<RawRow>(sql`select x.* from ${textSet([...new Set(jobIds)])} as j (job_id)
cross join lateral (
  select ${COLUMNS} from job_executions e
  where e.job_id = j.job_id
  order by e.scheduled_for desc, e.attempt desc
  limit 1
) as x`);
      for (const row of rows) latest.set(row.job_id, fromRaw(row));
      return latest;
    },

    async abandon(ids, at, reason) {
      checkTime('at', at);
      const error = abandonError(reason);
      const valid = normalizeIds(ids);
      if (valid.length === 0) return [];
      const rows = await run<RawRow>(sql`update job_executions
set status = 'abandoned', finished_at = ${iso(at)}::timestamptz, error_message = ${error.message},
  error_stack = null
where id in (select value::uuid from ${textSet(valid)} as ids (value)) and status in ('pending', 'running')
returning ${COLUMNS}`);
      // In the order asked for, as the memory log returns them.
      const order = new Map(valid.map((id, i) => [id, i]));
      return rows.map(fromRaw).sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    },

    async deleteFinishedBefore(before) {
      const rows = await run<{ n: number }>(sql`with deleted as (
  delete from job_executions
  where finished_at < ${iso(before)}::timestamptz and status not in ('pending', 'running')
  returning 1
) select count(*)::int as n from deleted`);
      return rows[0]?.n ?? 0;
    },

    async close() {
      await options.close?.();
    },
  };
}
