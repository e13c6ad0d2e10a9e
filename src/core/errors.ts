/**
 * Errors a caller can act on. Each has a stable `code` that the GraphQL layer maps to
 * `extensions.code`; anything that is not a KairosError is an internal error and gets masked.
 */
export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'UNAVAILABLE' | 'STALE_CLAIM';

export class KairosError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KairosError';
    this.code = code;
  }
}

/** Bad input. `field` is the dotted path of the offending input field, e.g. `trigger.cron.expression`. */
export class ValidationError extends KairosError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('BAD_USER_INPUT', `${field}: ${message}`);
    this.name = 'ValidationError';
    this.field = field;
  }
}

export class NotFoundError extends KairosError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} "${id}" does not exist`);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends KairosError {
  constructor(message: string) {
    super('CONFLICT', message);
    this.name = 'ConflictError';
  }
}

/** A store (Redis, PostgreSQL) cannot be reached. */
export class UnavailableError extends KairosError {
  /** Which store: 'Redis', 'PostgreSQL' (metrics label store errors with it). */
  readonly store: string;
  constructor(store: string, cause?: unknown) {
    super('UNAVAILABLE', `${store} is unavailable`, { cause });
    this.store = store;
    this.name = 'UnavailableError';
  }
}

/**
 * This replica's life ended: it stopped heart-beating long enough (frozen, cut off) for the cluster
 * to declare it dead and release what it held. Nothing may be started under that life any more.
 */
export class ReplicaExpiredError extends KairosError {
  constructor(life: string) {
    super('STALE_CLAIM', `replica life "${life}" was declared dead: its claims and slots were released`);
    this.name = 'ReplicaExpiredError';
  }
}
