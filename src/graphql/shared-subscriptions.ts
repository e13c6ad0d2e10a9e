/**
 * Clients that send the same subscription (same document, operation and variables) share one
 * execution: the first one's stream is executed once per event, and every client of the group
 * receives the same result object through its own BoundedQueue. With 500 clients on one query an
 * event is executed (and, over SSE, serialized) once instead of 500 times; a slow client is cut
 * off alone with SLOW_CONSUMER.
 *
 * Sharing is safe because nothing under Subscription depends on who asks: every client's scope
 * was checked for the whole operation (operation-auth.ts) before it joins a group.
 */
import type { DocumentNode, ExecutionArgs, ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { BoundedQueue, isOverflow } from './bounded-queue.ts';
import { clientError } from './errors.ts';

type Result = ExecutionResult & { stringify?: (value: unknown) => string };
type SubscribeFn = (args: ExecutionArgs) => unknown;

interface Group {
  key: string;
  source: AsyncIterator<Result>;
  clients: Set<BoundedQueue<Result>>;
}

export function slowConsumerResult(limit: number): Result {
  return {
    data: null,
    errors: [
      clientError(
        'SLOW_CONSUMER',
        `this subscription fell ${limit} events behind and was closed; subscribe again and compare sequence numbers to see what was missed`,
      ),
    ],
  };
}

/** The same object for every client: over SSE Yoga calls `stringify`, so it is serialized once. */
function shareable(result: Result): Result {
  let text: string | undefined;
  const stringify = (value: unknown): string => {
    if (value !== result) return JSON.stringify(value); // a copy made by a later plugin
    text ??= JSON.stringify(value);
    return text;
  };
  return Object.defineProperty(result, 'stringify', { value: stringify, enumerable: false });
}

export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();
  private readonly documentIds = new WeakMap<DocumentNode, number>();
  private nextDocumentId = 1;
  private readonly queueLimit: number;
  /** Events executed between two turns of the event loop: well under a client queue. */
  private readonly burstSlice: number;
  private clientCount = 0;

  constructor(queueLimit: number) {
    this.queueLimit = queueLimit;
    this.burstSlice = Math.max(1, Math.min(64, Math.floor(queueLimit / 2)));
  }

  /** Live client subscriptions. */
  get size(): number {
    return this.clientCount;
  }

  /** Executions running for them: one per distinct subscription. */
  get groupCount(): number {
    return this.groups.size;
  }

  readonly plugin: Plugin = {
    onSubscribe: ({ subscribeFn, setSubscribeFn }) => {
      const original = subscribeFn as SubscribeFn;
      setSubscribeFn(((args: ExecutionArgs) => this.subscribe(args, original)) as never);
    },
  };

  private keyOf(args: ExecutionArgs): string {
    // Yoga's parse cache hands out one DocumentNode per query text, so identity is enough.
    let id = this.documentIds.get(args.document);
    if (id === undefined) {
      id = this.nextDocumentId++;
      this.documentIds.set(args.document, id);
    }
    return `${id}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
  }

  private async subscribe(args: ExecutionArgs, original: SubscribeFn): Promise<unknown> {
    const key = this.keyOf(args);
    let group = this.groups.get(key);
    if (!group) {
      const result = await original(args);
      // Errors (bad arguments, denied) are this client's own answer: nothing to share.
      if (!isAsyncIterable(result)) return result;
      const source = (result as AsyncIterable<Result>)[Symbol.asyncIterator]();
      group = this.groups.get(key);
      if (group)
        void source.return?.(); // another client started the same one meanwhile
      else group = this.start(key, source);
    }
    return this.join(group);
  }

  private start(key: string, source: AsyncIterator<Result>): Group {
    const group: Group = { key, source, clients: new Set() };
    this.groups.set(key, group);
    void this.pump(group);
    return group;
  }

  private async pump(group: Group): Promise<void> {
    try {
      for (let sinceYield = 1; ; sinceYield++) {
        const { value, done } = await group.source.next();
        if (done) break;
        const result = shareable(value);
        for (const client of group.clients) client.push(result);
        // A burst (a claim batch starting many jobs) is executed on microtasks alone: let the
        // clients' sockets drain now and then, so only a client that really lags is cut off.
        if (sinceYield % this.burstSlice === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } catch {
      // The source failed: its clients end like they would on a completed stream.
    } finally {
      if (this.groups.get(group.key) === group) this.groups.delete(group.key);
      for (const client of group.clients) client.end();
    }
  }

  private join(group: Group): AsyncIterableIterator<Result> {
    const queue: BoundedQueue<Result> = new BoundedQueue(this.queueLimit, () => {
      this.clientCount--;
      group.clients.delete(queue);
      if (group.clients.size === 0 && this.groups.get(group.key) === group) {
        this.groups.delete(group.key);
        void group.source.return?.();
      }
    });
    group.clients.add(queue);
    this.clientCount++;
    const limit = this.queueLimit;
    const iterator: AsyncIterableIterator<Result> = {
      async next() {
        const item = await queue.next();
        if (item.done) return item;
        return { value: isOverflow(item.value) ? slowConsumerResult(limit) : item.value, done: false };
      },
      async return() {
        await queue.return();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
