/**
 * EventBus in one process. Events are numbered per stream from 1 and delivered on a microtask, in
 * publish order, so publish never waits for a listener and a throwing listener hurts nobody else.
 */
import type { BusEvent, EventBus, SequencedEvent } from '../../core/ports.ts';
import { deliverEvent, type EventListener } from '../event-delivery.ts';

export interface MemoryEventBusOptions {
  /** A listener that threw or an event that could not be copied. Default: console.error. */
  onError?: (error: unknown) => void;
  /** Older name of onError, still accepted (src/app.ts uses it). */
  onListenerError?: (error: unknown) => void;
}

export function createMemoryEventBus(options: MemoryEventBusOptions = {}): EventBus {
  const onError =
    options.onError ??
    options.onListenerError ??
    ((error: unknown) => console.error('event bus error', error));
  const sequences: Record<BusEvent['stream'], number> = { execution: 0, job: 0 };
  const listeners = new Set<EventListener>();
  let closed = false;

  return {
    publish(event) {
      if (closed) return;
      if (listeners.size === 0) {
        // Nobody to copy it for: only the numbering must move on.
        sequences[event.stream] += 1;
        return;
      }
      let sequenced: SequencedEvent;
      try {
        // A copy, so a publisher that later mutates its object does not rewrite history.
        sequenced = { ...structuredClone(event), sequence: sequences[event.stream] + 1 };
      } catch (error) {
        onError(error);
        return;
      }
      sequences[event.stream] = sequenced.sequence;
      // Listeners subscribed after this publish must not see it; ones that left since must not either.
      const targets = [...listeners];
      queueMicrotask(() => deliverEvent(sequenced, targets, listeners, onError));
    },
    subscribe(listener) {
      // Wrap so the same function subscribed twice gets two independent subscriptions.
      const entry: EventListener = (event) => listener(event);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    async close() {
      closed = true;
      listeners.clear();
    },
  };
}
