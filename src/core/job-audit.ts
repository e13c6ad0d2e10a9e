/** The audit trail's entries for the changes JobService makes (see AuditLog). */
import type { BackfillRequest, BackfillResult } from './backfill.ts';
import { uuidv7 } from './ids.ts';
import type { Job } from './job.ts';
import type { JsonValue } from './json.ts';
import type { AuditAction, AuditEntry } from './ports.ts';

/** One change by `actor` at `at`; the job before and after as JSON (null: it did not exist). */
export function auditEntry(
  action: AuditAction,
  jobId: string,
  actor: string,
  at: number,
  before: Job | JsonValue | null,
  after: Job | JsonValue | null,
): AuditEntry {
  const json = (value: Job | JsonValue | null) => value as JsonValue | null;
  return { id: uuidv7(at), jobId, action, actor, at, before: json(before), after: json(after) };
}

/** What a `backfilled` entry keeps as its `after`: the window, how it runs and how many fires. */
export function backfillSummary(request: BackfillRequest, result: BackfillResult): JsonValue {
  const { from, to, rerun, maxPerSecond } = request;
  return { from, to, rerun, maxPerSecond, overlap: result.overlap, fires: result.rows.length };
}
