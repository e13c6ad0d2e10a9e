/**
 * One consumer's queue of pushed items, read as an async iterator or, by a reader that writes
 * synchronously (an SSE stream), with `take` + `whenReady`. `push` never waits: when the
 * consumer has `limit` items unread it is cut off at once (the unread items are dropped, it reads
 * one `Overflow` marker and then the end), so a slow consumer can neither grow memory without
 * bound nor hold anyone else up.
 */

/** Read once, last, by a consumer that fell `limit` items behind. */
export interface Overflow {
  overflow: true;
  limit: number;
}

export function isOverflow(value: unknown): value is Overflow {
  return typeof value === 'object' && value !== null && (value as Overflow).overflow === true;
}

export class BoundedQueue<T> implements AsyncIterableIterator<T | Overflow> {
  private queue: T[] = [];
  private head = 0;
  private waiter: ((result: IteratorResult<T | Overflow>) => void) | null = null;
  private listener: (() => void) | null = null;
  private state: 'open' | 'overflowed' | 'closed' = 'open';
  private detached = false;
  private readonly limit: number;
  private readonly onDetach: () => void;

  /** `onDetach` runs once, when the queue stops receiving (overflow or return). */
  constructor(limit: number, onDetach: () => void) {
    this.limit = limit;
    this.onDetach = onDetach;
  }

  push(item: T): void {
    if (this.state !== 'open') return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: item, done: false });
      return;
    }
    if (this.queue.length - this.head >= this.limit) {
      this.state = 'overflowed';
      this.queue = [];
      this.head = 0;
      this.detach();
    } else this.queue.push(item);
    this.wake();
  }

  /** `open`; `overflowed` once cut off (nothing left to read); `closed` once ended or returned. */
  get status(): 'open' | 'overflowed' | 'closed' {
    return this.state;
  }

  /**
   * Calls `listener` once, synchronously, at the next push, overflow or end: a reader that found
   * nothing to take waits without a promise per item.
   */
  whenReady(listener: () => void): void {
    this.listener = listener;
  }

  /** The oldest unread item, or undefined when there is none (items must not be undefined). */
  take(): T | undefined {
    if (this.head === this.queue.length) return undefined;
    const value = this.queue[this.head] as T;
    if (++this.head === this.queue.length) {
      // Empty again: start over in the same array instead of allocating one per read.
      this.queue.length = 0;
      this.head = 0;
    } else this.queue[this.head - 1] = undefined as T;
    return value;
  }

  /** Ends the stream after what is already queued (graceful stop, source ended). */
  end(): void {
    if (this.state === 'open') this.state = 'closed';
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: undefined, done: true });
    }
    this.wake();
  }

  next(): Promise<IteratorResult<T | Overflow>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head] as T;
      this.queue[this.head++] = undefined as T;
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
  return(): Promise<IteratorResult<T | Overflow>> {
    this.state = 'closed';
    this.listener = null;
    this.queue = [];
    this.head = 0;
    this.detach();
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  private wake(): void {
    const listener = this.listener;
    if (listener === null) return;
    this.listener = null;
    listener();
  }

  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.onDetach();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T | Overflow> {
    return this;
  }
}
