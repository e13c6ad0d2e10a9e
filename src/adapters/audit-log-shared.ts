/** Checks and cursors shared by the AuditLog adapters, so memory and PostgreSQL agree exactly. */
import { ValidationError } from '../core/errors.ts';
import type { AuditAction, AuditEntry, AuditQuery } from '../core/ports.ts';
import { checkTime, isUuid } from './execution-log-shared.ts';

const ACTIONS: ReadonlySet<AuditAction> = new Set([
  'added',
  'updated',
  'paused',
  'resumed',
  'rescheduled',
  'removed',
  'backfilled',
  'quarantined',
]);
const MAX_ACTOR_LENGTH = 200;

export interface AuditCursor {
  at: number;
  id: string;
}

export function encodeAuditCursor(entry: AuditCursor): string {
  return btoa(JSON.stringify([entry.at, entry.id]))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function decodeAuditCursor(cursor: string): AuditCursor {
  try {
    const value: unknown = JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/')));
    if (Array.isArray(value) && value.length === 2) {
      const [at, id] = value as unknown[];
      if (Number.isSafeInteger(at) && typeof id === 'string' && isUuid(id))
        return { at: at as number, id: id.toLowerCase() };
    }
  } catch {
    // fall through: not one of ours
  }
  throw new ValidationError('after', 'is not a cursor returned by this list');
}

export function normalizeAuditQuery(query: AuditQuery) {
  if (!Number.isSafeInteger(query.first) || query.first < 0)
    throw new ValidationError('first', 'must be an integer >= 0');
  return {
    first: query.first,
    after: query.after ? decodeAuditCursor(query.after) : null,
    jobId: query.jobId ?? null,
  };
}

/** An entry as stored: id lower-cased; ValidationError on a bad one (nothing of the batch is stored). */
export function normalizeAuditEntry(entry: AuditEntry): AuditEntry {
  if (!isUuid(entry.id)) throw new ValidationError('id', `"${entry.id}" is not a UUID`);
  if (!ACTIONS.has(entry.action)) throw new ValidationError('action', `unknown "${entry.action}"`);
  if (typeof entry.jobId !== 'string' || entry.jobId === '')
    throw new ValidationError('jobId', 'is required');
  if (typeof entry.actor !== 'string' || entry.actor === '' || entry.actor.length > MAX_ACTOR_LENGTH)
    throw new ValidationError('actor', `must be 1 to ${MAX_ACTOR_LENGTH} characters`);
  checkTime('at', entry.at);
  return { ...entry, id: entry.id.toLowerCase() };
}

/** Negative when `a` comes first (newer). Ids compare as lower-case hex, like uuid in SQL. */
export function compareAuditNewestFirst(a: AuditCursor, b: AuditCursor): number {
  if (a.at !== b.at) return b.at - a.at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
