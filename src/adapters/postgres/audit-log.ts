/**
 * AuditLog on PostgreSQL (postgres.js or PGlite, through drizzle), in the execution log's database.
 * As there, times are read back as epoch ms computed in SQL and JSON as text parsed here, so no
 * driver parses a timestamp or converts JSON its own way.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { JsonValue } from '../../core/json.ts';
import type { AuditAction, AuditEntry, AuditLog } from '../../core/ports.ts';
import { encodeAuditCursor, normalizeAuditEntry, normalizeAuditQuery } from '../audit-log-shared.ts';
import { checkTime } from '../execution-log-shared.ts';
import type { Database } from './connect.ts';
import { toStoreError } from './errors.ts';

interface RawEntry {
  id: string;
  job_id: string;
  action: string;
  actor: string;
  at: number | string;
  before: string | null;
  after: string | null;
}

const COLUMNS = sql.raw(
  'id, job_id, action, actor, (extract(epoch from at) * 1000)::float8 as at, before::text as before, after::text as after',
);

function fromRaw(row: RawEntry): AuditEntry {
  const json = (text: string | null) => (text === null ? null : (JSON.parse(text) as JsonValue));
  return {
    id: row.id,
    jobId: row.job_id,
    action: row.action as AuditAction,
    actor: row.actor,
    at: Number(row.at),
    before: json(row.before),
    after: json(row.after),
  };
}

function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export function createPostgresAuditLog(db: Database): AuditLog {
  async function run<T>(query: SQL): Promise<T[]> {
    try {
      return rowsOf<T>(await db.execute(query));
    } catch (error) {
      throw toStoreError(error);
    }
  }

  return {
    async record(entries) {
      if (entries.length === 0) return;
      const batch = JSON.stringify(
        entries.map(normalizeAuditEntry).map((e) => ({
          id: e.id,
          job_id: e.jobId,
          action: e.action,
          actor: e.actor,
          at: new Date(e.at).toISOString(),
          before: e.before,
          after: e.after,
        })),
      );
      // One JSON parameter for the batch, as the execution log inserts (see insertStatement there).
      await run(sql`insert into job_audit (id, job_id, action, actor, at, before, after)
select id, job_id, action, actor, at, before, after
from json_to_recordset(${batch}::text::json) as r (id uuid, job_id text, action text, actor text,
  at timestamptz, before jsonb, after jsonb)
on conflict (id) do nothing`);
    },

    async list(query) {
      const q = normalizeAuditQuery(query);
      const where: SQL[] = [];
      if (q.jobId !== null) where.push(sql`job_id = ${q.jobId}`);
      if (q.after)
        where.push(sql`(at, id) < (${new Date(q.after.at).toISOString()}::timestamptz, ${q.after.id}::uuid)`);
      const filter = where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``;
      const rows = await run<RawEntry>(
        sql`select ${COLUMNS} from job_audit ${filter} order by at desc, id desc limit ${q.first + 1}`,
      );
      const items = rows.slice(0, q.first).map(fromRaw);
      const last = items.at(-1);
      return { items, hasNextPage: rows.length > q.first, endCursor: last ? encodeAuditCursor(last) : null };
    },

    async deleteBefore(before) {
      checkTime('before', before);
      const [row] = await run<{ n: number }>(sql`with gone as (
  delete from job_audit where at < ${new Date(before).toISOString()}::timestamptz returning 1
) select count(*)::int as n from gone`);
      return row?.n ?? 0;
    },

    // The connection is the execution log's: it closes it.
    async close() {},
  };
}
