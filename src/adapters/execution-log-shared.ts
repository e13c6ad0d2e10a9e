/**
 * Rules every ExecutionLog adapter applies the same way: input checks, size bounds, the list
 * order and its opaque cursor. Shared so the memory and PostgreSQL logs cannot drift apart.
 */
import { ValidationError } from '../core/errors.ts';
import {
  boundError,
  boundResult,
  EXECUTION_STATUSES,
  type Execution,
  type ExecutionError,
  type ExecutionStatus,
  type FinalStatus,
} from '../core/execution.ts';
import { OVERLAP_POLICIES } from '../core/job.ts';
import type { JsonValue } from '../core/json.ts';
import type { ExecutionFinish, ExecutionQuery } from '../core/ports.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRIGGER_KINDS = new Set(['scheduled', 'manual', 'retry', 'backfill']);
// duration_ms is a PostgreSQL integer; a run longer than ~24.8 days is recorded as that maximum.
const MAX_DURATION_MS = 2_147_483_647;

export function isUuid(id: string): boolean {
  return UUID.test(id);
}

export function checkTime(field: string, value: number | null): void {
  // undefined included: the new fields are required, and a row missing one is a caller's bug.
  if (value !== null && !Number.isSafeInteger(value)) throw new ValidationError(field, 'must be epoch ms');
}

// PostgreSQL text and jsonb hold neither NUL nor half of a surrogate pair; one such character in a
// task's error would fail the whole batch, so it becomes U+FFFD everywhere, memory included.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters to replace.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

function storableJson(value: JsonValue): JsonValue {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) out[storableText(key)] = storableJson(item);
    return out;
  }
  return value;
}

function storableError(error: ExecutionError | null): ExecutionError | null {
  if (error === null) return null;
  return boundError({
    message: storableText(error.message),
    stack: error.stack === null ? null : storableText(error.stack),
  });
}

function storableResult(result: JsonValue | null): JsonValue | null {
  return boundResult(result === null || result === undefined ? null : storableJson(result));
}

function boundDuration(durationMs: number | null): number | null {
  if (durationMs === null) return null;
  return Math.min(MAX_DURATION_MS, Math.max(0, Math.round(durationMs)));
}

/**
 * A record covers `scheduledFor` alone (coversUntil null, coveredFires 1) or the range
 * scheduledFor..coversUntil: one fire when the two are equal, at least two when they differ.
 */
function checkCoverage(row: Execution): void {
  if (!Number.isSafeInteger(row.coveredFires) || row.coveredFires < 1)
    throw new ValidationError('coveredFires', 'must be an integer >= 1');
  const last = row.coversUntil ?? row.scheduledFor;
  if (last < row.scheduledFor)
    throw new ValidationError('coversUntil', 'must not be before scheduledFor (the first fire covered)');
  if (last === row.scheduledFor && row.coveredFires !== 1)
    throw new ValidationError('coveredFires', 'must be 1 when the record covers only scheduledFor');
  if (last > row.scheduledFor && row.coveredFires < 2)
    throw new ValidationError('coveredFires', 'must be at least 2 when coversUntil is after scheduledFor');
}

/** A row as it is stored: id lower-cased, error and result bounded. Throws ValidationError on a bad row. */
export function normalizeRow(row: Execution): Execution {
  if (!isUuid(row.id)) throw new ValidationError('id', `"${row.id}" is not a UUID`);
  if (!EXECUTION_STATUSES.includes(row.status))
    throw new ValidationError('status', `unknown "${row.status}"`);
  if (!TRIGGER_KINDS.has(row.triggerKind))
    throw new ValidationError('triggerKind', `unknown "${row.triggerKind}"`);
  if (!Number.isSafeInteger(row.attempt) || row.attempt < 1)
    throw new ValidationError('attempt', 'must be an integer >= 1');
  checkTime('scheduledFor', row.scheduledFor);
  checkTime('startedAt', row.startedAt);
  checkTime('finishedAt', row.finishedAt);
  checkTime('dueAt', row.dueAt);
  checkTime('coversUntil', row.coversUntil);
  if (row.status === 'pending' && row.dueAt === null)
    throw new ValidationError('dueAt', 'a pending row needs the time it is due');
  checkCoverage(row);
  if (row.overlap !== undefined) {
    if (row.triggerKind !== 'backfill')
      throw new ValidationError('overlap', 'only a backfill row has its own overlap policy');
    if (!OVERLAP_POLICIES.includes(row.overlap))
      throw new ValidationError('overlap', `unknown "${row.overlap}"`);
  }
  return {
    ...row,
    id: row.id.toLowerCase(),
    owner: row.owner ?? null,
    durationMs: boundDuration(row.durationMs),
    error: storableError(row.error),
    result: storableResult(row.result),
  };
}

export function isFinalStatus(status: ExecutionStatus): status is FinalStatus {
  return status !== 'pending' && status !== 'running' && EXECUTION_STATUSES.includes(status);
}

/** Statuses a row leaves by finish or abandon; every other status is final and never changes. */
export function isOpenStatus(status: ExecutionStatus): boolean {
  return status === 'pending' || status === 'running';
}

/** Limits of claimPending and listRunning: an integer >= 0. */
export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new ValidationError('limit', 'must be an integer >= 0');
}

/** The error an abandoned row records: the reason, bounded like any error message. */
export function abandonError(reason: string): ExecutionError {
  if (typeof reason !== 'string') throw new ValidationError('reason', 'must be a string');
  return storableError({ message: reason, stack: null }) as ExecutionError;
}

/** Ids as a query matches them: lower-cased, UUIDs only, each once, in the order given. */
export function normalizeIds(ids: string[]): string[] {
  return [...new Set(ids.map((id) => id.toLowerCase()).filter(isUuid))];
}

/** claimPending's order: dueAt ascending, then id ascending. */
export function compareDue(a: Execution, b: Execution): number {
  const da = a.dueAt ?? Number.POSITIVE_INFINITY;
  const db = b.dueAt ?? Number.POSITIVE_INFINITY;
  if (da !== db) return da < db ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** listRunning's order: (dueAt ?? scheduledFor) ascending, then id ascending. */
export function compareOldestRunning(a: Execution, b: Execution): number {
  const ta = a.dueAt ?? a.scheduledFor;
  const tb = b.dueAt ?? b.scheduledFor;
  if (ta !== tb) return ta - tb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Finishes as they are applied: bounded, ids lower-cased, non-UUID ids dropped (no row can match),
 * and only the first finish of an id kept (a later one would lose to it anyway).
 */
export function normalizeFinishes(updates: ExecutionFinish[]): ExecutionFinish[] {
  const seen = new Set<string>();
  const out: ExecutionFinish[] = [];
  for (const update of updates) {
    if (!isFinalStatus(update.status))
      throw new ValidationError('status', `"${update.status}" is not a final status`);
    checkTime('startedAt', update.startedAt);
    checkTime('finishedAt', update.finishedAt);
    const id = update.id.toLowerCase();
    if (!isUuid(id) || seen.has(id)) continue;
    seen.add(id);
    out.push({
      ...update,
      id,
      durationMs: boundDuration(update.durationMs),
      error: storableError(update.error),
      result: storableResult(update.result),
    });
  }
  return out;
}

/** Position of a row in the list order (scheduledFor desc, attempt desc, id desc). */
export interface ExecutionCursor {
  scheduledFor: number;
  attempt: number;
  id: string;
}

export function encodeCursor(row: Pick<Execution, 'scheduledFor' | 'attempt' | 'id'>): string {
  const json = JSON.stringify([row.scheduledFor, row.attempt, row.id]);
  return btoa(json).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeCursor(cursor: string): ExecutionCursor {
  try {
    const json = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    const value: unknown = JSON.parse(json);
    if (Array.isArray(value) && value.length === 3) {
      const [scheduledFor, attempt, id] = value as unknown[];
      if (
        Number.isSafeInteger(scheduledFor) &&
        Number.isSafeInteger(attempt) &&
        typeof id === 'string' &&
        isUuid(id)
      )
        return { scheduledFor: scheduledFor as number, attempt: attempt as number, id: id.toLowerCase() };
    }
  } catch {
    // fall through: any malformed cursor is the same user error
  }
  throw new ValidationError('after', 'is not a cursor returned by this list');
}

export interface NormalizedQuery {
  /** Rows to return; the adapter fetches one more to learn hasNextPage. */
  first: number;
  after: ExecutionCursor | null;
  jobId: string | null;
  /** null = any status (an empty list is treated as no filter too). */
  status: ExecutionStatus[] | null;
  since: number | null;
  until: number | null;
}

export function normalizeQuery(query: ExecutionQuery): NormalizedQuery {
  if (!Number.isSafeInteger(query.first) || query.first < 0)
    throw new ValidationError('first', 'must be an integer >= 0');
  for (const status of query.status ?? [])
    if (!EXECUTION_STATUSES.includes(status)) throw new ValidationError('status', `unknown "${status}"`);
  checkTime('since', query.since ?? null);
  checkTime('until', query.until ?? null);
  return {
    first: query.first,
    after: query.after ? decodeCursor(query.after) : null,
    jobId: query.jobId ?? null,
    status: query.status?.length ? [...new Set(query.status)] : null,
    since: query.since ?? null,
    until: query.until ?? null,
  };
}

/** Negative when `a` comes first in the list (newer). Ids compare as lower-case hex, like uuid in SQL. */
export function compareNewestFirst(a: ExecutionCursor, b: ExecutionCursor): number {
  if (a.scheduledFor !== b.scheduledFor) return b.scheduledFor - a.scheduledFor;
  if (a.attempt !== b.attempt) return b.attempt - a.attempt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
