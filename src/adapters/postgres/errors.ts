import { DrizzleQueryError } from 'drizzle-orm/errors';
import { UnavailableError } from '../../core/errors.ts';

// Socket-level failures from postgres.js and Node (the driver names its own with `code`).
const CONNECTION_CODES = new Set([
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

// SQLSTATEs that mean the server cannot serve us right now, not that the query was wrong.
const UNAVAILABLE_SQLSTATES = new Set(['53300', '57P01', '57P02', '57P03']);

/** True when the error (or one of its causes) means the database cannot be reached. */
export function isUnavailable(error: unknown): boolean {
  // drizzle wraps driver errors in DrizzleQueryError with the driver error as `cause`.
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
      // Class 08: connection exception.
      if (/^08[0-9A-Z]{3}$/.test(code)) return true;
    }
    if (/^PGlite is clos(ed|ing)/.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

/**
 * Map an error from the database to what the core understands. Other errors are passed on as the
 * driver's own error: drizzle's wrapper puts the whole statement and every parameter in its message,
 * which for a batch is megabytes of log line.
 */
export function toStoreError(error: unknown): unknown {
  const driverError =
    error instanceof DrizzleQueryError && error.cause instanceof Error ? error.cause : error;
  return isUnavailable(driverError) ? new UnavailableError('PostgreSQL', driverError) : driverError;
}

/** True when the error is a unique violation of `constraint`. */
export function violates(error: unknown, constraint: string): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const {
      code,
      constraint: name,
      constraint_name,
    } = e as { code?: unknown; constraint?: unknown; constraint_name?: unknown };
    if (code === '23505' && (name === constraint || constraint_name === constraint)) return true;
    e = e.cause;
  }
  return false;
}
