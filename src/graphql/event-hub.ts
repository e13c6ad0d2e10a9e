/**
 * Fan-out of bus events to GraphQL subscriptions. One hub per app subscribes once to the EventBus;
 * each subscription gets a bounded queue. Delivery is O(1) per subscriber and never waits for one:
 * a subscriber whose queue is full is cut off (it receives one `Overflow` marker and then ends),
 * so a slow client can neither grow memory without bound nor slow the others down.
 * Filtering by job happens here, so a subscription to one job costs nothing for the others' events.
 */
import type { EventBus, ExecutionEvent, JobEvent, SequencedEvent } from '../core/ports.ts';

export type Stream = 'execution' | 'job';
export type StreamEvent<S extends Stream> = (S extends 'execution' ? ExecutionEvent : JobEvent) & {
  sequence: number;
};

/** Yielded once, last, to a subscriber that fell `limit` events behind. */
export interface Overflow {
  overflow: true;
  limit: number;
}

export function isOverflow(value: unknown): value is Overflow {
  return typeof value === 'object' && value !== null && (value as Overflow).overflow === true;
}

export const DEFAULT_QUEUE_LIMIT = 1_000;

interface Topic {
  all: Set<Subscriber>;
  byJob: Map<string, Set<Subscriber>>;
}

type Item = SequencedEvent | Overflow;

class Subscriber implements AsyncIterableIterator<Item> {
  private queue: SequencedEvent[] = [];
  private head = 0;
  private waiter: ((result: IteratorResult<Item>) => void) | null = null;
  private state: 'open' | 'overflowed' | 'closed' = 'open';
  private readonly limit: number;
  private readonly detach: () => void;

  constructor(limit: number, detach: () => void) {
    this.limit = limit;
    this.detach = detach;
  }

  push(event: SequencedEvent): void {
    if (this.state !== 'open') return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: event, done: false });
      return;
    }
    if (this.queue.length - this.head >= this.limit) {
      // Cut off: drop what it never read, at once, and stop receiving.
      this.state = 'overflowed';
      this.queue = [];
      this.head = 0;
      this.detach();
      return;
    }
    this.queue.push(event);
  }

  /** Ends the stream after what is already queued (graceful stop). */
  end(): void {
    if (this.state === 'open') this.state = 'closed';
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<Item>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as SequencedEvent;
      // Compact now and then instead of shift(), which is O(n) per call.
      if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.state === 'overflowed') {
      this.state = 'closed';
      return Promise.resolve({ value: { overflow: true, limit: this.limit }, done: false });
    }
    if (this.state === 'closed') return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** The consumer left (client disconnected, stream cancelled). */
  return(): Promise<IteratorResult<Item>> {
    this.state = 'closed';
    this.queue = [];
    this.head = 0;
    this.detach();
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Item> {
    return this;
  }
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
  private unsubscribe: (() => void) | null;
  private count = 0;

  constructor(bus: EventBus, options: EventHubOptions = {}) {
    this.queueLimit = options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
    this.unsubscribe = bus.subscribe((event) => this.dispatch(event));
  }

  /** Live subscriptions, for metrics and tests. */
  get size(): number {
    return this.count;
  }

  /** Events of one stream, optionally of one job. Ends with one Overflow when the consumer is too slow. */
  subscribe<S extends Stream>(
    stream: S,
    jobId: string | null,
  ): AsyncIterableIterator<StreamEvent<S> | Overflow> {
    const topic = this.topics[stream];
    let set: Set<Subscriber>;
    if (jobId === null) set = topic.all;
    else {
      set = topic.byJob.get(jobId) ?? new Set();
      topic.byJob.set(jobId, set);
    }
    let attached = true;
    const subscriber = new Subscriber(this.queueLimit, () => {
      if (!attached) return;
      attached = false;
      this.count--;
      set.delete(subscriber);
      if (jobId !== null && set.size === 0 && topic.byJob.get(jobId) === set) topic.byJob.delete(jobId);
    });
    if (this.unsubscribe === null) subscriber.end();
    else {
      set.add(subscriber);
      this.count++;
    }
    return subscriber as AsyncIterableIterator<StreamEvent<S> | Overflow>;
  }

  /** Stop listening to the bus and end every subscription after what it has queued. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const topic of Object.values(this.topics)) {
      const everyone = [...topic.all, ...[...topic.byJob.values()].flatMap((set) => [...set])];
      for (const subscriber of everyone) subscriber.end();
    }
  }

  private dispatch(event: SequencedEvent): void {
    const topic = this.topics[event.stream];
    for (const subscriber of topic.all) subscriber.push(event);
    if (topic.byJob.size === 0) return;
    const jobId = event.stream === 'execution' ? event.execution.jobId : event.jobId;
    const set = topic.byJob.get(jobId);
    if (set) for (const subscriber of set) subscriber.push(event);
  }
}
