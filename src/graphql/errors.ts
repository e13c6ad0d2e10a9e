/**
 * Errors on the wire. A KairosError (bad input, unknown id, duplicate, store down) becomes a
 * GraphQL error with `extensions.code`; a GraphQL error we threw on purpose (auth, input) passes as
 * it is; anything else is an internal error: masked for the client (and logged by Yoga).
 *
 * GraphQL errors are made with Yoga's createGraphQLError and recognised by shape, not with
 * `instanceof GraphQLError`: graphql 16 ships CJS and ESM builds, and a loader that picks the
 * ESM one for our files (vitest does, Bun may) would otherwise hold two GraphQLError classes.
 */
import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { KairosError, ValidationError } from '../core/errors.ts';
import type { Logger } from '../core/task.ts';

/** Codes a client can act on. STALE_CLAIM is internal to the scheduler and is masked. */
const CLIENT_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'UNAVAILABLE']);

export const MASKED_MESSAGE = 'Unexpected error.';

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'UNAVAILABLE'
  | 'SLOW_CONSUMER'
  | 'TOO_MANY_SUBSCRIPTIONS';

/** An error for the client, with `extensions.code`. */
export function clientError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return createGraphQLError(message, { extensions: { code, ...extensions } });
}

export function isGraphQLError(value: unknown): value is GraphQLError {
  return value instanceof Error && value.name === 'GraphQLError' && 'extensions' in value;
}

function kairosCause(error: unknown): KairosError | null {
  let current: unknown = error;
  // A resolver's error arrives wrapped by the executor (locatedError): look a few levels down.
  for (let depth = 0; depth < 4 && current; depth++) {
    if (current instanceof KairosError) return current;
    current = isGraphQLError(current) ? current.originalError : undefined;
  }
  return null;
}

/** A GraphQL error made on purpose (ours, or graphql-js's validation), not a wrapped exception. */
function isIntendedGraphQLError(error: unknown): boolean {
  let current: unknown = error;
  while (isGraphQLError(current)) {
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
      if (isGraphQLError(error)) {
        // Same object back: Yoga logs every error it had to replace, and these are not failures.
        Object.assign(error.extensions, extensions);
        return error;
      }
      return createGraphQLError(cause.message, { extensions });
    }
    if (isIntendedGraphQLError(error)) return error as GraphQLError;
    const located = isGraphQLError(error) ? error : null;
    return createGraphQLError(message || MASKED_MESSAGE, {
      nodes: located?.nodes ?? null,
      path: located?.path ?? undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}

function tagRequestErrors(result: unknown): void {
  if (typeof result !== 'object' || result === null || Symbol.asyncIterator in result) return;
  const { data, errors } = result as { data?: unknown; errors?: readonly GraphQLError[] };
  // No `data` at all: the request was refused before execution (variables of the wrong type,
  // unknown operation name). That is the client's input.
  if (data !== undefined || !errors) return;
  for (const error of errors)
    if (isGraphQLError(error) && !error.extensions.code)
      Object.assign(error.extensions, { code: 'BAD_USER_INPUT' });
}

/** Gives request errors (bad variables) the code BAD_USER_INPUT, as Apollo does. */
export const requestErrorCodes: Plugin = {
  onExecute: () => ({ onExecuteDone: ({ result }) => tagRequestErrors(result) }),
  onSubscribe: () => ({ onSubscribeResult: ({ result }) => tagRequestErrors(result) }),
};
