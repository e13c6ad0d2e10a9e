/**
 * Fan-out of bus events to subscription sources. One hub per app subscribes once to the EventBus;
 * each subscription gets a BoundedQueue, so delivery is O(1) per subscriber and never waits for
 * one, and a subscriber that falls behind is cut off instead of buffering without bound.
 * Filtering by job happens here, so a subscription to one job costs nothing for other jobs' events.
 * The hub listens to the bus only while it has a subscription: a bus with no listener skips the
 * copy (memory) or the parse (Redis) of every event, which at a herd of fires is most of its cost.
 */
import type { EventBus, ExecutionEvent, JobEvent, SequencedEvent } from '../core/ports.ts';
import { BoundedQueue, type Overflow } from './bounded-queue.ts';

export { isOverflow, type Overflow } from './bounded-queue.ts';

export type Stream = 'execution' | 'job';
export type StreamEvent<S extends Stream> = (S extends 'execution' ? ExecutionEvent : JobEvent) & {
  sequence: number;
};

export const DEFAULT_QUEUE_LIMIT = 1_000;

interface Topic {
  all: Set<BoundedQueue<SequencedEvent>>;
  byJob: Map<string, Set<BoundedQueue<SequencedEvent>>>;
}

export interface EventHubOptions {
  /** Events a subscriber may have unread before it is cut off. */
  queueLimit?: number;
}

export class EventHub {
  private readonly topics: Record<Stream, Topic> = {
    execution: { all: new Set(), byJob: new Map() },
    job: { all: new Set(), byJob: new Map() },
  };
  private readonly queueLimit: number;
  private readonly bus: EventBus;
  private unsubscribe: (() => void) | null = null;
  private closed = false;
  private count = 0;

  constructor(bus: EventBus, options: EventHubOptions = {}) {
    this.bus = bus;
    this.queueLimit = options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
  }

  /** Live subscriptions. */
  get size(): number {
    return this.count;
  }

  /** Events of one stream, optionally of one job. Ends with one Overflow when the consumer is too slow. */
  subscribe<S extends Stream>(
    stream: S,
    jobId: string | null,
  ): AsyncIterableIterator<StreamEvent<S> | Overflow> {
    const topic = this.topics[stream];
    let set: Set<BoundedQueue<SequencedEvent>>;
    if (jobId === null) set = topic.all;
    else {
      set = topic.byJob.get(jobId) ?? new Set();
      topic.byJob.set(jobId, set);
    }
    const queue: BoundedQueue<SequencedEvent> = new BoundedQueue(this.queueLimit, () => {
      this.count--;
      set.delete(queue);
      if (jobId !== null && set.size === 0 && topic.byJob.get(jobId) === set) topic.byJob.delete(jobId);
      if (this.count === 0) this.stopListening();
    });
    if (this.closed) queue.end();
    else {
      set.add(queue);
      this.count++;
      this.unsubscribe ??= this.bus.subscribe((event) => this.dispatch(event));
    }
    return queue as AsyncIterableIterator<StreamEvent<S> | Overflow>;
  }

  /** Stop listening to the bus and end every subscription after what it has queued. */
  close(): void {
    this.closed = true;
    this.stopListening();
    for (const topic of Object.values(this.topics)) {
      for (const queue of topic.all) queue.end();
      for (const set of topic.byJob.values()) for (const queue of set) queue.end();
    }
  }

  private stopListening(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private dispatch(event: SequencedEvent): void {
    const topic = this.topics[event.stream];
    for (const queue of topic.all) queue.push(event);
    if (topic.byJob.size === 0) return;
    const jobId = event.stream === 'execution' ? event.execution.jobId : event.jobId;
    const set = topic.byJob.get(jobId);
    if (set) for (const queue of set) queue.push(event);
  }
}
