/** Delivery to an EventBus's listeners, the same for every adapter. */
import type { SequencedEvent } from '../core/ports.ts';

export type EventListener = (event: SequencedEvent) => void;

/**
 * Hands the event to `targets` (the listeners when it was published or heard) that are still in
 * `current`: one that left since gets nothing. A throwing listener is reported; the rest still get it.
 */
export function deliverEvent(
  event: SequencedEvent,
  targets: readonly EventListener[],
  current: ReadonlySet<EventListener>,
  onError: (error: unknown) => void,
): void {
  for (const listener of targets) {
    if (!current.has(listener)) continue;
    try {
      listener(event);
    } catch (error) {
      onError(error);
    }
  }
}
