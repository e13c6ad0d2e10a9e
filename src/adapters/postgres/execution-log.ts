/**
 * ExecutionLog on PostgreSQL (postgres.js or PGlite, through drizzle). Written for batches: one
 * insert and one update statement per batch however many rows it holds (execution-writes.ts); an
 * insert that skipped rows adds one select to tell a repeated call's rows from fire-key conflicts.
 * The read statements and the row decoder are in execution-reads.ts.
 */
import { type SQL, sql } from 'drizzle-orm';
import { ConflictError } from '../../core/errors.ts';
import type { Execution } from '../../core/execution.ts';
import type { ExecutionLog, ExecutionStats, Page } from '../../core/ports.ts';
import {
  abandonError,
  checkLimit,
  checkTime,
  compareDue,
  encodeCursor,
  isUuid,
  normalizeFinishes,
  normalizeIds,
  normalizeRow,
} from '../execution-log-shared.ts';
import type { Database } from './connect.ts';
import { toStoreError, violates } from './errors.ts';
import {
  COLUMNS,
  countStatement,
  fromRaw,
  iso,
  listStatement,
  type RawRow,
  type RawStats,
  rowsOf,
  statsStatement,
  textSet,
  toMs,
} from './execution-reads.ts';
import { finishStatements, insertStatements, storedUnderIdStatements } from './execution-writes.ts';

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
      for (const statement of insertStatements(normalized)) {
        try {
          for (const row of await run<{ id: string }>(statement)) stored.add(row.id);
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
        for (const statement of storedUnderIdStatements(skipped))
          for (const row of await run<{ id: string }>(statement)) stored.add(row.id);
      return stored;
    },

    async finish(updates) {
      const normalized = normalizeFinishes(updates);
      if (normalized.length === 0) return;
      for (const statement of finishStatements(normalized)) await run(statement);
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
      // Through job_executions_status_idx (status first): the running rows are the runs in flight.
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
