/**
 * Caps on open subscriptions, SSE and graphql-ws together: a total for the process
 * (KAIROS_MAX_SUBSCRIBERS) and one per token (KAIROS_MAX_SUBSCRIBERS_PER_TOKEN). A subscription
 * over the cap is refused with TOO_MANY_SUBSCRIPTIONS before anything starts for it: over SSE as
 * HTTP 429 (sse-status.ts), over graphql-ws as the result of that subscription (graphql-ws sends
 * it as `next` with the error, then `complete`); the socket and its other subscriptions stay.
 *
 * The key is who subscribes: a token's digest (a subscription token counts for the token that
 * minted it, subscription-token.ts), or `anonymous` for every request without a token.
 * SharedSubscriptions takes a slot per client and gives it back when the client leaves, is cut
 * off or its stream ends; both transports go through it, so neither needs to count on its own.
 */
import type { GraphQLError } from 'graphql';
import { clientError } from './errors.ts';

export const DEFAULT_MAX_SUBSCRIBERS = 1_000;
export const DEFAULT_MAX_SUBSCRIBERS_PER_TOKEN = 100;

/** Gives the slot back; calling it again does nothing. */
export type Release = () => void;

export interface SubscriberLimitsOptions {
  /** Open subscriptions in this process. Default 1,000. */
  max?: number;
  /** Open subscriptions per key (token). Default 100. */
  maxPerKey?: number;
}

export class SubscriberLimits {
  readonly max: number;
  readonly maxPerKey: number;
  private total = 0;
  private readonly byKey = new Map<string, number>();

  constructor(options: SubscriberLimitsOptions = {}) {
    this.max = options.max ?? DEFAULT_MAX_SUBSCRIBERS;
    this.maxPerKey = options.maxPerKey ?? DEFAULT_MAX_SUBSCRIBERS_PER_TOKEN;
  }

  /** Open subscriptions, in all and for one key. */
  get open(): number {
    return this.total;
  }

  openFor(key: string): number {
    return this.byKey.get(key) ?? 0;
  }

  /** A slot for one more subscription of `key`, or the TOO_MANY_SUBSCRIPTIONS error to answer with. */
  tryOpen(key: string): Release | GraphQLError {
    const mine = this.byKey.get(key) ?? 0;
    if (this.total >= this.max) {
      return clientError(
        'TOO_MANY_SUBSCRIPTIONS',
        `this server has ${this.max} open subscriptions, its limit (KAIROS_MAX_SUBSCRIBERS); try again later`,
        { limit: this.max, per: 'server' },
      );
    }
    if (mine >= this.maxPerKey) {
      return clientError(
        'TOO_MANY_SUBSCRIPTIONS',
        `this token has ${this.maxPerKey} open subscriptions, its limit (KAIROS_MAX_SUBSCRIBERS_PER_TOKEN); close one first`,
        { limit: this.maxPerKey, per: 'token' },
      );
    }
    this.total++;
    this.byKey.set(key, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.byKey.get(key) ?? 1) - 1;
      if (left === 0) this.byKey.delete(key);
      else this.byKey.set(key, left);
    };
  }
}
