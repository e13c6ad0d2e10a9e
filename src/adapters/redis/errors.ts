import { KairosError, ReplicaExpiredError, UnavailableError } from '../../core/errors.ts';

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

/**
 * The store's `{prefix}:epoch` marker is missing or not the one this store opened: Redis came back
 * empty (no persistence, a failover to an empty replica) or was flushed. Claims and commits are
 * refused; the next claim opens the store again under a new epoch, so tokens are never reused.
 */
export class StoreResetError extends UnavailableError {
  readonly expected: string;
  constructor(expected: string) {
    super('Redis');
    this.name = 'StoreResetError';
    this.message = `the Redis job store was reset (epoch marker ${expected} missing or replaced): its data was lost`;
    this.expected = expected;
  }
}

/** The reply the claim and commit scripts give when the epoch marker does not match. */
export function isEpochReply(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError' && /^EPOCH\b/.test(error.message);
}

/** The reply of scripts that refuse a replica life that is no longer live. */
export function isFencedReply(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError' && /^FENCED\b/.test(error.message);
}

/** Runs a script that may refuse the caller's replica life: that refusal is a ReplicaExpiredError. */
export async function unlessFenced<T>(owner: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isFencedReply(error)) throw new ReplicaExpiredError(owner);
    throw error;
  }
}
