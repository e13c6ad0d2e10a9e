/** The ExecutionLog port: the history of every fire. */
import type { Execution, ExecutionError, ExecutionStatus, FinalStatus } from '../execution.ts';
import type { JsonValue } from '../json.ts';
import type { Page } from './page.ts';

export interface ExecutionQuery {
  first: number;
  after?: string | null;
  jobId?: string | null;
  status?: ExecutionStatus[] | null;
  /** scheduledFor >= since */
  since?: number | null;
  /** scheduledFor < until */
  until?: number | null;
}

/** The filters of an ExecutionQuery, for `count`. */
export type ExecutionFilter = Omit<ExecutionQuery, 'first' | 'after'>;

/**
 * A job's history since an instant (scheduledFor >= since), summed up. Lateness is startedAt minus
 * the nominal time (a retry's: its dueAt), never below 0; percentiles interpolate linearly between
 * the nearest values (PostgreSQL's percentile_cont); null when no row has the value.
 */
export interface ExecutionStats {
  /** Rows by status; statuses without rows are absent. */
  counts: Partial<Record<ExecutionStatus, number>>;
  latenessP50Ms: number | null;
  latenessP99Ms: number | null;
  durationP50Ms: number | null;
  durationP99Ms: number | null;
  /** finishedAt of the job's newest successful row in the whole history, not only since `since`. */
  lastSuccessAt: number | null;
}

export interface ExecutionFinish {
  id: string;
  status: FinalStatus;
  /** When the handler really started; null when it never started (skipped at its due time). */
  startedAt: number | null;
  finishedAt: number;
  durationMs: number | null;
  error: ExecutionError | null;
  result: JsonValue | null;
}

/**
 * The history of every fire. Rows are written in batches: the scheduler hands many rows at once
 * when many fires are due together.
 */
export interface ExecutionLog {
  /**
   * Insert rows. A row whose (jobId, scheduledFor, attempt) already exists under another id is not
   * inserted: that key is the last gate against running a fire twice. Returns the ids of the given
   * rows that are stored under their id: inserted now, or by an earlier call with the same row (so
   * a call whose reply was lost can be repeated safely).
   * Error text is bounded (message 8 KiB, stack 32 KiB) whatever the caller passes.
   */
  insert(rows: Execution[]): Promise<Set<string>>;
  /**
   * Move rows out of `running` or `pending` into a final status (startedAt set from the update).
   * A row already final is left as it is (a late result never wins). Idempotent.
   */
  finish(updates: ExecutionFinish[]): Promise<void>;
  /**
   * Atomically take up to `limit` pending rows with dueAt <= now (earliest first) and move them to
   * `running` under `instance`; two callers never get the same row. Returns them as now stored.
   */
  claimPending(now: number, limit: number, instance: string, owner?: string | null): Promise<Execution[]>;
  /** The earliest dueAt of a pending row; null when there is none. */
  nextPendingAt(): Promise<number | null>;
  /**
   * Up to `limit` running rows whose (dueAt ?? scheduledFor) < olderThan, oldest first: the
   * candidates of the reconciliation sweep (rows no live run may hold any more).
   */
  listRunning(olderThan: number, limit: number): Promise<Execution[]>;
  /** Up to `limit` running rows held by the life `owner`, oldest first (settling a dead replica). */
  listRunningOf(owner: string, limit: number): Promise<Execution[]>;
  /**
   * Move running rows that never started back to `pending` (owner cleared, dueAt kept), so any
   * replica's claimPending runs them: their replica died before their start. Returns those changed.
   */
  requeue(ids: string[]): Promise<Execution[]>;
  get(id: string): Promise<Execution | null>;
  /** Newest first: scheduledFor descending, then attempt descending, then id descending. */
  list(query: ExecutionQuery): Promise<Page<Execution>>;
  /** How many rows match the filters (the `totalCount` of a list). */
  count(filter: ExecutionFilter): Promise<number>;
  /** The job's rows with scheduledFor >= since, summed up (see ExecutionStats). */
  stats(jobId: string, since: number): Promise<ExecutionStats>;
  /** The newest row of each job (same order as list), for `lastExecution`. */
  latestByJob(jobIds: string[]): Promise<Map<string, Execution>>;
  /**
   * Mark these running (or pending) rows abandoned at `at`, with `reason` as their error message.
   * Returns the rows that changed, as now stored.
   */
  abandon(ids: string[], at: number, reason: string): Promise<Execution[]>;
  /** Delete final rows finished before `before` (retention). Returns how many. */
  deleteFinishedBefore(before: number): Promise<number>;
  close(): Promise<void>;
}
