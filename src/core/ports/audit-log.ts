/** The AuditLog port: the trail of job changes. */
import type { JsonValue } from '../json.ts';
import type { Page } from './page.ts';

/** What changed a job: the job-service command, or the scheduler's quarantine of a poison job. */
export type AuditAction =
  | 'added'
  | 'updated'
  | 'paused'
  | 'resumed'
  | 'rescheduled'
  | 'removed'
  | 'backfilled'
  | 'quarantined';

/** One change to a job, with who made it and the job before and after (null: it did not exist). */
export interface AuditEntry {
  /** A UUIDv7 made at `at`. */
  id: string;
  jobId: string;
  action: AuditAction;
  /** Who: a named token by name and scope ("deploy-bot (operate)"), an unnamed one by its scope ("admin token"), "jobs file" or "system". */
  actor: string;
  at: number;
  before: JsonValue | null;
  after: JsonValue | null;
}

export interface AuditQuery {
  first: number;
  after?: string | null;
  jobId?: string | null;
}

/**
 * The audit trail of job changes. Entries never change once recorded; they are deleted only by
 * retention, with the history (deleteBefore).
 */
export interface AuditLog {
  /** Store entries; one already stored under its id is left as it is (a repeated call is safe). */
  record(entries: AuditEntry[]): Promise<void>;
  /** Newest first: `at` descending, then id descending. */
  list(query: AuditQuery): Promise<Page<AuditEntry>>;
  /** Delete entries recorded before `before` (retention). Returns how many. */
  deleteBefore(before: number): Promise<number>;
  close(): Promise<void>;
}
