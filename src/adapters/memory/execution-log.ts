/**
 * ExecutionLog in memory: the same contract as PostgreSQL, for tests and embedded use. Rows are
 * copied in and out, so a caller mutating what it passed or got cannot change the history.
 */
import { ConflictError } from '../../core/errors.ts';
import type { Execution } from '../../core/execution.ts';
import type { ExecutionLog, Page } from '../../core/ports.ts';
import {
  compareNewestFirst,
  encodeCursor,
  normalizeFinishes,
  normalizeQuery,
  normalizeRow,
} from '../execution-log-shared.ts';

function fireKey(row: Execution): string {
  return JSON.stringify([row.jobId, row.scheduledFor, row.attempt]);
}

function copy(row: Execution): Execution {
  return structuredClone(row);
}

export function createMemoryExecutionLog(): ExecutionLog {
  const byId = new Map<string, Execution>();
  const byFire = new Set<string>();

  function newestFirst(rows: Iterable<Execution>): Execution[] {
    return [...rows].sort(compareNewestFirst);
  }

  return {
    async insert(rows) {
      const normalized = rows.map(normalizeRow);
      // Decide the whole batch before storing any of it: PostgreSQL rejects a batch atomically too.
      const fires = new Set<string>();
      const ids = new Set<string>();
      const accepted: Execution[] = [];
      for (const row of normalized) {
        const key = fireKey(row);
        if (byFire.has(key) || fires.has(key)) continue;
        // A repeated id under another fire is a bug in the caller (ids are random UUIDs).
        if (byId.has(row.id) || ids.has(row.id))
          throw new ConflictError(`execution "${row.id}" already exists`);
        fires.add(key);
        ids.add(row.id);
        accepted.push(row);
      }
      for (const row of accepted) {
        byFire.add(fireKey(row));
        byId.set(row.id, copy(row));
      }
      return new Set(accepted.map((row) => row.id));
    },

    async finish(updates) {
      for (const update of normalizeFinishes(updates)) {
        const row = byId.get(update.id);
        if (row?.status !== 'running') continue;
        row.status = update.status;
        row.finishedAt = update.finishedAt;
        row.durationMs = update.durationMs;
        row.error = update.error === null ? null : { ...update.error };
        row.result = structuredClone(update.result);
      }
    },

    async get(id) {
      const row = byId.get(id.toLowerCase());
      return row ? copy(row) : null;
    },

    async list(query): Promise<Page<Execution>> {
      const q = normalizeQuery(query);
      const statuses = q.status ? new Set(q.status) : null;
      const matching = newestFirst(byId.values()).filter(
        (row) =>
          (q.jobId === null || row.jobId === q.jobId) &&
          (statuses === null || statuses.has(row.status)) &&
          (q.since === null || row.scheduledFor >= q.since) &&
          (q.until === null || row.scheduledFor < q.until) &&
          (q.after === null || compareNewestFirst(row, q.after) > 0),
      );
      const items = matching.slice(0, q.first).map(copy);
      const last = items.at(-1);
      return {
        items,
        hasNextPage: matching.length > q.first,
        endCursor: last ? encodeCursor(last) : null,
      };
    },

    async latestByJob(jobIds) {
      const wanted = new Set(jobIds);
      const latest = new Map<string, Execution>();
      for (const row of byId.values()) {
        if (!wanted.has(row.jobId)) continue;
        const current = latest.get(row.jobId);
        if (!current || compareNewestFirst(row, current) < 0) latest.set(row.jobId, row);
      }
      for (const [jobId, row] of latest) latest.set(jobId, copy(row));
      return latest;
    },

    async abandon(ids, at) {
      let changed = 0;
      for (const id of new Set(ids.map((i) => i.toLowerCase()))) {
        const row = byId.get(id);
        if (row?.status !== 'running') continue;
        row.status = 'abandoned';
        row.finishedAt = at;
        changed++;
      }
      return changed;
    },

    async deleteFinishedBefore(before) {
      let deleted = 0;
      for (const [id, row] of byId) {
        if (row.status === 'running' || row.finishedAt === null || row.finishedAt >= before) continue;
        byId.delete(id);
        byFire.delete(fireKey(row));
        deleted++;
      }
      return deleted;
    },

    async close() {},
  };
}
