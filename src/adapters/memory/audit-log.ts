/** AuditLog in memory: the PostgreSQL contract, for tests and the memory execution log. Entries are copied in and out. */
import type { AuditEntry, AuditLog } from '../../core/ports.ts';
import {
  compareAuditNewestFirst,
  encodeAuditCursor,
  normalizeAuditEntry,
  normalizeAuditQuery,
} from '../audit-log-shared.ts';

export function createMemoryAuditLog(): AuditLog {
  const byId = new Map<string, AuditEntry>();
  return {
    async record(entries) {
      const normalized = entries.map(normalizeAuditEntry);
      for (const entry of normalized) if (!byId.has(entry.id)) byId.set(entry.id, structuredClone(entry));
    },
    async list(query) {
      const q = normalizeAuditQuery(query);
      const rows = [...byId.values()]
        .filter(
          (e) =>
            (q.jobId === null || e.jobId === q.jobId) &&
            (!q.after || compareAuditNewestFirst(q.after, e) < 0),
        )
        .sort(compareAuditNewestFirst);
      const items = rows.slice(0, q.first).map((e) => structuredClone(e));
      const last = items.at(-1);
      return { items, hasNextPage: rows.length > q.first, endCursor: last ? encodeAuditCursor(last) : null };
    },
    async deleteBefore(before) {
      let deleted = 0;
      for (const [id, entry] of byId)
        if (entry.at < before) {
          byId.delete(id);
          deleted++;
        }
      return deleted;
    },
    async close() {},
  };
}
