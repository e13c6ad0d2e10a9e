/**
 * Errors on the wire. A KairosError (bad input, unknown id, duplicate, store down) becomes a
 * GraphQL error with `extensions.code`; a GraphQLError we threw on purpose (auth, input) passes as
 * it is; anything else is an internal error: masked for the client (and logged by Yoga).
 */
import { GraphQLError } from 'graphql';
import { KairosError, ValidationError } from '../core/errors.ts';
import type { Logger } from '../core/task.ts';

/** Codes a client can act on. STALE_CLAIM is internal to the scheduler and is masked. */
const CLIENT_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'UNAVAILABLE']);

export const MASKED_MESSAGE = 'Unexpected error.';

function kairosCause(error: unknown): KairosError | null {
  let current: unknown = error;
  // A resolver's error arrives wrapped by graphql-js (locatedError): look one or two levels down.
  for (let depth = 0; depth < 3 && current; depth++) {
    if (current instanceof KairosError) return current;
    current = current instanceof GraphQLError ? current.originalError : undefined;
  }
  return null;
}

function isOwnGraphQLError(error: unknown): boolean {
  let current: unknown = error;
  while (current instanceof GraphQLError) {
    if (!current.originalError) return true;
    current = current.originalError;
  }
  return false;
}

export function createMaskError(logger: Logger): (error: unknown, message: string) => Error {
  return (error, message) => {
    const cause = kairosCause(error);
    if (cause && CLIENT_CODES.has(cause.code)) {
      if (cause.code === 'UNAVAILABLE') logger.warn('graphql: store unavailable', { error: cause });
      const extensions: Record<string, unknown> = { code: cause.code };
      if (cause instanceof ValidationError) extensions.field = cause.field;
      if (error instanceof GraphQLError) {
        // Same object back: Yoga logs every error it had to replace, and these are not failures.
        Object.assign(error.extensions, extensions);
        return error;
      }
      return new GraphQLError(cause.message, { extensions });
    }
    if (isOwnGraphQLError(error)) return error as GraphQLError;
    // Yoga logs the original through its logger (see yoga.ts) whenever it is replaced.
    const located = error instanceof GraphQLError ? error : null;
    return new GraphQLError(message || MASKED_MESSAGE, {
      nodes: located?.nodes ?? null,
      path: located?.path ?? null,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}
