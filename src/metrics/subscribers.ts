/**
 * Open subscriptions by transport, for `kairos_subscribers{transport}`. Counted where a subscription
 * takes its slot (SubscriberLimits, through SharedSubscriptions' `admit`) and released with it, so
 * the count ends with the subscription whichever way it ends. Only the operation's context tells
 * the transports apart: graphql-ws operations carry `wsCredential` (yoga.ts), SSE ones do not.
 */
import type { GraphQLError } from 'graphql';

export type Transport = 'sse' | 'ws';
type Release = () => void;

export interface SubscriberCounts {
  /** Counts an admitted subscription (a Release) until it is released; a refusal passes through. */
  track(context: unknown, admitted: Release | GraphQLError): Release | GraphQLError;
  counts(): Record<Transport, number>;
}

export function createSubscriberCounts(): SubscriberCounts {
  const open: Record<Transport, number> = { sse: 0, ws: 0 };
  return {
    track(context, admitted) {
      if (typeof admitted !== 'function') return admitted;
      const transport: Transport = 'wsCredential' in (context as object) ? 'ws' : 'sse';
      open[transport]++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        open[transport]--;
        admitted();
      };
    },
    counts: () => ({ ...open }),
  };
}
