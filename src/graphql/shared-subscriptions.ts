/**
 * Clients that send the same subscription (same document, operation and variables) share one
 * execution: the first one's stream is executed once per event, and every client of the group
 * receives the same result object through its own BoundedQueue. With 500 clients on one query an
 * event is executed, masked and (over SSE) serialized once instead of 500 times; a slow client is
 * cut off alone with SLOW_CONSUMER.
 *
 * Over SSE the response is written by sse-stream.ts straight from the client's queue, bypassing
 * the per-client result pipeline (mapping, stringify, text encoding): that is why the pump masks
 * errors itself, once per event, exactly as Yoga's masking would for each client.
 *
 * Sharing is safe because nothing under Subscription depends on who asks: every client's scope
 * was checked for the whole operation (operation-auth.ts) before it joins a group.
 */
import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { BoundedQueue, isOverflow } from './bounded-queue.ts';
import { DELIVERY_BUDGET_MS, delivery } from './delivery.ts';
import { clientError, MASKED_MESSAGE } from './errors.ts';
import { sseResponse } from './sse-stream.ts';
import type { Release } from './subscriber-limits.ts';

type Result = ExecutionResult & { stringify?: (value: unknown) => string };
type SubscribeFn = (args: ExecutionArgs) => unknown;

interface Group {
  key: string;
  source: AsyncIterator<Result>;
  /** Each client's queue, and what takes it out of the group (once; it gives its slot back). */
  clients: Map<BoundedQueue<Result>, () => void>;
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

export type MaskError = (error: unknown, message: string) => Error;

export interface SharedSubscriptionsOptions {
  /** Unread results a client may have before it is cut off with SLOW_CONSUMER. */
  queueLimit: number;
  /** The app's error masking (Yoga's maskedErrors.maskError), applied once per shared result. */
  maskError?: MaskError;
  /**
   * A slot for a client about to subscribe (its context), or the error it is refused with; the
   * slot is given back when the client leaves, is cut off or its stream ends. Default: no limit.
   */
  admit?: (context: unknown) => Release | GraphQLError;
}

export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();
  private readonly documentIds = new WeakMap<DocumentNode, number>();
  /** HTTP requests whose subscription joined a group: their SSE response reads the queue directly. */
  private readonly byRequest = new WeakMap<Request, BoundedQueue<Result>>();
  private nextDocumentId = 1;
  private readonly queueLimit: number;
  private readonly maskError: MaskError | undefined;
  private readonly admit: SharedSubscriptionsOptions['admit'];
  /** Events executed between two delivery turns: well under a client queue. */
  private readonly burstSlice: number;
  private clientCount = 0;

  constructor(options: SharedSubscriptionsOptions) {
    this.queueLimit = options.queueLimit;
    this.maskError = options.maskError;
    this.admit = options.admit;
    this.burstSlice = Math.max(1, Math.min(64, Math.floor(this.queueLimit / 2)));
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
    onResultProcess: ({ request, result, resultProcessor, setResultProcessor }) => {
      const queue = this.byRequest.get(request);
      if (!queue) return;
      this.byRequest.delete(request);
      // No processor: the client accepts no stream format (Yoga answers 406); nobody will read.
      if (!resultProcessor) return void queue.return();
      // Yoga picked its SSE processor (the only one it has for a subscription's stream): serve the
      // same protocol from the shared frames. The per-client iterator Yoga holds is left unread.
      if (!isAsyncIterable(result)) return;
      const limit = this.queueLimit;
      setResultProcessor(
        (_result, fetchAPI) => sseResponse(queue, fetchAPI, () => slowConsumerResult(limit)),
        'text/event-stream',
      );
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
    // A slot first (subscriber-limits.ts): a refused client starts nothing and joins nothing.
    const admitted = this.admit ? this.admit(args.contextValue) : () => {};
    if (typeof admitted !== 'function') return { errors: [admitted] };
    let joined = false;
    try {
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
      const { queue, iterator } = this.join(group, admitted);
      joined = true;
      const request = (args.contextValue as { request?: unknown } | undefined)?.request;
      if (request instanceof Object) this.byRequest.set(request as Request, queue);
      return iterator;
    } finally {
      if (!joined) admitted();
    }
  }

  private start(key: string, source: AsyncIterator<Result>): Group {
    const group: Group = { key, source, clients: new Map() };
    this.groups.set(key, group);
    void this.pump(group);
    return group;
  }

  private async pump(group: Group): Promise<void> {
    try {
      let sliceStart = performance.now();
      for (let sinceYield = 1; ; sinceYield++) {
        const { value, done } = await group.source.next();
        if (done) break;
        const result = shareable(this.masked(value));
        for (const client of group.clients.keys()) client.push(result);
        // A burst (a claim batch starting many jobs, a high event rate) is executed on microtasks
        // alone, and graphql-ws clients are fed on the same microtasks: give the event loop back
        // after a slice, so queries are answered in between (delivery.ts). The turn comes after the
        // SSE writes this slice queued, so before it pushes more the clients that keep reading have
        // been written to: a slice of well under a client queue cuts off only one that really lags.
        if (sinceYield >= this.burstSlice || performance.now() - sliceStart >= DELIVERY_BUDGET_MS) {
          await delivery.turn();
          sliceStart = performance.now();
          sinceYield = 0;
        }
      }
    } catch {
      // The source failed: its clients end like they would on a completed stream.
    } finally {
      if (this.groups.get(group.key) === group) this.groups.delete(group.key);
      // Each client reads what it has queued, then the end; none of them counts as open any more.
      for (const [client, leave] of [...group.clients]) {
        client.end();
        leave();
      }
    }
  }

  /** Once for all clients; Yoga's own masking, on the clients it still serves, then finds nothing to do. */
  private masked(result: Result): Result {
    if (!this.maskError || !result.errors?.length) return result;
    const mask = this.maskError;
    return { ...result, errors: result.errors.map((error) => mask(error, MASKED_MESSAGE) as GraphQLError) };
  }

  private join(
    group: Group,
    release: Release,
  ): { queue: BoundedQueue<Result>; iterator: AsyncIterableIterator<Result> } {
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      this.clientCount--;
      release();
      group.clients.delete(queue);
      if (group.clients.size === 0 && this.groups.get(group.key) === group) {
        this.groups.delete(group.key);
        void group.source.return?.();
      }
    };
    const queue: BoundedQueue<Result> = new BoundedQueue(this.queueLimit, leave);
    group.clients.set(queue, leave);
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
    return { queue, iterator };
  }
}
