/**
 * ExecutionLog in memory: the same contract as PostgreSQL, for tests and embedded use. Rows are
 * copied in and out, so a caller mutating what it passed or got cannot change the history.
 */
import { ConflictError } from '../../core/errors.ts';
import { type Execution, latenessMs } from '../../core/execution.ts';
import type { ExecutionLog, ExecutionStats, Page } from '../../core/ports.ts';
import {
  abandonError,
  checkLimit,
  checkTime,
  compareDue,
  compareNewestFirst,
  compareOldestRunning,
  encodeCursor,
  isOpenStatus,
  normalizeFinishes,
  normalizeIds,
  normalizeQuery,
  normalizeRow,
} from '../execution-log-shared.ts';

type Filter = ReturnType<typeof normalizeQuery>;

function matches(row: Execution, q: Filter, statuses: Set<string> | null): boolean {
  return (
    (q.jobId === null || row.jobId === q.jobId) &&
    (statuses === null || statuses.has(row.status)) &&
    (q.since === null || row.scheduledFor >= q.since) &&
    (q.until === null || row.scheduledFor < q.until)
  );
}

/** PostgreSQL's percentile_cont: linear between the two nearest of the sorted values. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const at = p * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

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
      const ids = new Map<string, string>(); // id -> fire key, of the rows accepted from this batch
      const accepted: Execution[] = [];
      const stored = new Set<string>();
      for (const row of normalized) {
        const key = fireKey(row);
        if (byFire.has(key) || fires.has(key)) {
          // The fire is taken; its row is this one when a call is repeated (its reply was lost).
          const existing = byId.get(row.id);
          if ((existing ? fireKey(existing) : ids.get(row.id)) === key) stored.add(row.id);
          continue;
        }
        // A repeated id under another fire is a bug in the caller (ids are random UUIDs).
        if (byId.has(row.id) || ids.has(row.id))
          throw new ConflictError(`execution "${row.id}" already exists`);
        fires.add(key);
        ids.set(row.id, key);
        accepted.push(row);
      }
      for (const row of accepted) {
        byFire.add(fireKey(row));
        byId.set(row.id, copy(row));
        stored.add(row.id);
      }
      return stored;
    },

    async finish(updates) {
      for (const update of normalizeFinishes(updates)) {
        const row = byId.get(update.id);
        if (!row || !isOpenStatus(row.status)) continue;
        row.status = update.status;
        if (update.startedAt !== null) row.startedAt = update.startedAt;
        row.finishedAt = update.finishedAt;
        row.durationMs = update.durationMs;
        row.error = update.error === null ? null : { ...update.error };
        row.result = structuredClone(update.result);
      }
    },

    async claimPending(now, limit, instance, owner = null) {
      checkTime('now', now);
      checkLimit(limit);
      if (limit === 0) return [];
      const due: Execution[] = [];
      for (const row of byId.values())
        if (row.status === 'pending' && row.dueAt !== null && row.dueAt <= now) due.push(row);
      const claimed = due.sort(compareDue).slice(0, limit);
      for (const row of claimed) {
        row.status = 'running';
        row.instance = instance;
        row.owner = owner;
      }
      return claimed.map(copy);
    },

    async nextPendingAt() {
      let earliest: number | null = null;
      for (const row of byId.values())
        if (row.status === 'pending' && row.dueAt !== null && (earliest === null || row.dueAt < earliest))
          earliest = row.dueAt;
      return earliest;
    },

    async listRunning(olderThan, limit) {
      checkTime('olderThan', olderThan);
      checkLimit(limit);
      const old: Execution[] = [];
      for (const row of byId.values())
        if (row.status === 'running' && (row.dueAt ?? row.scheduledFor) < olderThan) old.push(row);
      return old.sort(compareOldestRunning).slice(0, limit).map(copy);
    },

    async listRunningOf(owner, limit) {
      checkLimit(limit);
      const held: Execution[] = [];
      for (const row of byId.values()) if (row.status === 'running' && row.owner === owner) held.push(row);
      return held.sort(compareOldestRunning).slice(0, limit).map(copy);
    },

    async requeue(ids) {
      const changed: Execution[] = [];
      for (const id of normalizeIds(ids)) {
        const row = byId.get(id);
        if (!row || row.status !== 'running') continue;
        row.status = 'pending';
        row.owner = null;
        row.dueAt ??= row.scheduledFor;
        changed.push(copy(row));
      }
      return changed.sort(compareDue);
    },

    async get(id) {
      const row = byId.get(id.toLowerCase());
      return row ? copy(row) : null;
    },

    async list(query): Promise<Page<Execution>> {
      const q = normalizeQuery(query);
      const statuses = q.status ? new Set(q.status) : null;
      const matching = newestFirst(byId.values()).filter(
        (row) => matches(row, q, statuses) && (q.after === null || compareNewestFirst(row, q.after) > 0),
      );
      const items = matching.slice(0, q.first).map(copy);
      const last = items.at(-1);
      return {
        items,
        hasNextPage: matching.length > q.first,
        endCursor: last ? encodeCursor(last) : null,
      };
    },

    async count(filter) {
      const q = normalizeQuery({ ...filter, first: 0 });
      const statuses = q.status ? new Set<string>(q.status) : null;
      let n = 0;
      for (const row of byId.values()) if (matches(row, q, statuses)) n++;
      return n;
    },

    async stats(jobId, since): Promise<ExecutionStats> {
      checkTime('since', since);
      const counts: ExecutionStats['counts'] = {};
      const lateness: number[] = [];
      const durations: number[] = [];
      let lastSuccess: Execution | null = null;
      for (const row of byId.values()) {
        if (row.jobId !== jobId) continue;
        if (row.status === 'success' && (lastSuccess === null || compareNewestFirst(row, lastSuccess) < 0))
          lastSuccess = row;
        if (row.scheduledFor < since) continue;
        counts[row.status] = (counts[row.status] ?? 0) + 1;
        const late = latenessMs(row);
        if (late !== null) lateness.push(late);
        if (row.durationMs !== null) durations.push(row.durationMs);
      }
      lateness.sort((a, b) => a - b);
      durations.sort((a, b) => a - b);
      return {
        counts,
        latenessP50Ms: percentile(lateness, 0.5),
        latenessP99Ms: percentile(lateness, 0.99),
        durationP50Ms: percentile(durations, 0.5),
        durationP99Ms: percentile(durations, 0.99),
        lastSuccessAt: lastSuccess?.finishedAt ?? null,
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

    async abandon(ids, at, reason) {
      checkTime('at', at);
      const error = abandonError(reason);
      const changed: Execution[] = [];
      for (const id of normalizeIds(ids)) {
        const row = byId.get(id);
        if (!row || !isOpenStatus(row.status)) continue;
        row.status = 'abandoned';
        row.finishedAt = at;
        row.error = { ...error };
        changed.push(copy(row));
      }
      return changed;
    },

    async deleteFinishedBefore(before) {
      let deleted = 0;
      for (const [id, row] of byId) {
        if (isOpenStatus(row.status) || row.finishedAt === null || row.finishedAt >= before) continue;
        byId.delete(id);
        byFire.delete(fireKey(row));
        deleted++;
      }
      return deleted;
    },

    async close() {},
  };
}
