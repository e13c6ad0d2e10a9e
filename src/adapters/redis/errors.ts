import { KairosError, UnavailableError } from '../../core/errors.ts';

/** Redis replies that mean "not now" rather than "wrong command". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY)\b/;

/**
 * A connection failure (refused, closed, retries exhausted) becomes UnavailableError so the API
 * answers UNAVAILABLE; an error reply from Redis is a bug here and stays as it is.
 */
export function toStoreError(error: unknown): Error {
  if (error instanceof KairosError) return error;
  if (error instanceof Error && error.name === 'ReplyError' && !TRANSIENT_REPLY.test(error.message)) {
    return error;
  }
  return new UnavailableError('Redis', error);
}

export async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toStoreError(error);
  }
}
