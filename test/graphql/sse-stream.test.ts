/**
 * The SSE path of shared subscriptions (sse-stream.ts): Yoga's protocol byte for byte, errors
 * masked once per event for all clients, SSE and graphql-ws clients in one shared execution, and
 * the synchronous reader API of BoundedQueue it is built on.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type ExecutionResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { Execution } from '../../src/core/execution.ts';
import type { Job } from '../../src/core/job.ts';
import type { JobStore } from '../../src/core/ports.ts';
import { BoundedQueue } from '../../src/graphql/bounded-queue.ts';
import { slowConsumerResult } from '../../src/graphql/shared-subscriptions.ts';
import { sseResponse, WRITE_AHEAD_BYTES } from '../../src/graphql/sse-stream.ts';
import { graphqlWsServerOptions } from '../../src/graphql/ws.ts';
import { createTestApp, TOKENS } from './harness.ts';

const jobEvent = { stream: 'job', type: 'updated', at: 0, jobId: 'x', job: { id: 'x' } as Job } as const;

/** The response body as raw text, read until `until` matches or the stream ends. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  state: { text: string },
  until: (text: string) => boolean,
): Promise<string> {
  const decoder = new TextDecoder();
  while (!until(state.text)) {
    const { value, done } = await reader.read();
    if (done) break;
    state.text += decoder.decode(value, { stream: true });
  }
  return state.text;
}

async function rawSse(app: ReturnType<typeof createTestApp>, query: string) {
  const response = await app.yoga.fetch('http://kairos.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${TOKENS.read}`,
    },
    body: JSON.stringify({ query }),
  });
  return { response, reader: response.body!.getReader(), state: { text: '' } };
}

describe('the SSE stream of a shared subscription', () => {
  test("speaks Yoga's protocol: a ping, `event: next` per result, `event: complete` at the end", async () => {
    const app = createTestApp();
    try {
      const { response, reader, state } = await rawSse(app, 'subscription { jobEvents { sequence } }');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      await readUntil(reader, state, (text) => text.length > 0);
      expect(state.text).toBe(':\n\n');
      await app.subscribers(1);
      app.bus.publish(jobEvent);
      app.bus.publish(jobEvent);
      await readUntil(reader, state, (text) => text.split('event: next').length === 3);
      expect(state.text).toBe(
        ':\n\n' +
          'event: next\ndata: {"data":{"jobEvents":{"sequence":1}}}\n\n' +
          'event: next\ndata: {"data":{"jobEvents":{"sequence":2}}}\n\n',
      );
      await app.yoga.dispose(); // ends every subscription
      await readUntil(reader, state, () => false);
      expect(state.text.endsWith('event: complete\ndata:\n\n')).toBe(true);
    } finally {
      await app[Symbol.asyncDispose]();
    }
  });

  test('works for EventSource (GET); a client that accepts no stream gets 406 and leaves nothing behind', async () => {
    await using app = createTestApp();
    const query = encodeURIComponent('subscription { jobEvents { sequence } }');
    const headers = { authorization: `Bearer ${TOKENS.read}` };
    const refused = await app.yoga.fetch(`http://kairos.test/graphql?query=${query}`, {
      headers: { ...headers, accept: 'application/json' },
    });
    expect(refused.status).toBe(406);
    expect(app.yoga.subscriptions.size).toBe(0);

    const response = await app.yoga.fetch(`http://kairos.test/graphql?query=${query}`, {
      headers: { ...headers, accept: 'text/event-stream' },
    });
    const reader = response.body!.getReader();
    const state = { text: '' };
    await readUntil(reader, state, (text) => text.length > 0);
    await app.subscribers(1);
    app.bus.publish(jobEvent);
    await readUntil(reader, state, (text) => text.includes('event: next'));
    expect(state.text).toContain('event: next\ndata: {"data":{"jobEvents":{"sequence":1}}}\n\n');
    await reader.cancel();
    await app.subscribers(0);
  });

  test('an unexpected error is masked for every client and logged once per event', async () => {
    const logged: unknown[] = [];
    const secret = 'secret: postgres://user:hunter2@db';
    await using app = createTestApp({
      // The job of an execution is read from the store: make that read fail with a secret.
      wrapStore: (store) =>
        new Proxy(store, {
          get(target, key, receiver) {
            if (key === 'get') return () => Promise.reject(new Error(secret));
            const value = Reflect.get(target, key, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }) as JobStore,
      logger: { debug() {}, info() {}, warn() {}, error: (...args) => logged.push(args) },
    });
    const query = 'subscription { executionEvents { type execution { id job { id } } } }';
    const clients = [await app.sse(query), await app.sse(query)];
    for (const client of clients) await client.next();
    await app.subscribers(2);
    expect(app.yoga.subscriptions.groupCount).toBe(1);
    const execution = { id: 'e1', jobId: 'x', status: 'running' } as Execution;
    app.bus.publish({ stream: 'execution', type: 'started', at: 0, execution });
    for (const client of clients) {
      const payload = await client.nextPayload();
      expect(payload.data?.executionEvents).toEqual({ type: 'STARTED', execution: { id: 'e1', job: null } });
      expect(payload.errors).toEqual([
        expect.objectContaining({
          message: 'Unexpected error.',
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
          path: ['executionEvents', 'execution', 'job'],
        }),
      ]);
      expect(JSON.stringify(payload)).not.toContain('hunter2');
      client.close();
    }
    expect(logged.filter((entry) => JSON.stringify(entry).includes('hunter2'))).toHaveLength(1);
  });

  test('SSE and graphql-ws clients of the same subscription share one execution', async () => {
    await using app = createTestApp();
    const server = createServer(app.yoga);
    const wss = new WebSocketServer({ server, path: app.yoga.graphqlEndpoint });
    const ws = useServer(graphqlWsServerOptions(app.yoga), wss);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = createClient({
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: TOKENS.read },
      retryAttempts: 0,
    });
    try {
      const query = 'subscription { jobEvents { sequence } }';
      const sse = await app.sse(query);
      await sse.next();
      const overWs = new Promise<ExecutionResult>((resolve, reject) => {
        client.subscribe({ query }, { next: resolve as never, error: reject, complete: () => {} });
      });
      await app.subscribers(2);
      expect(app.yoga.subscriptions.groupCount).toBe(1);
      app.bus.publish(jobEvent);
      expect((await sse.nextPayload()).data).toEqual({ jobEvents: { sequence: 1 } });
      expect((await overWs).data).toEqual({ jobEvents: { sequence: 1 } });
      sse.close();
    } finally {
      await client.dispose();
      await ws.dispose();
      await new Promise((resolve) => wss.close(resolve));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a client that does not read', () => {
  // Yoga's fetch API on Node is @whatwg-node's ponyfill (a Node Readable inside); Bun and Deno use
  // web streams, as Node's globals are.
  type FetchAPI = ReturnType<typeof createTestApp>['yoga']['fetchAPI'];
  const apis: Record<string, (app: ReturnType<typeof createTestApp>) => FetchAPI> = {
    ponyfill: (app) => app.yoga.fetchAPI,
    'web streams': () => globalThis as unknown as FetchAPI,
  };
  for (const [name, api] of Object.entries(apis)) {
    test(`is handed at most the write-ahead budget, then cut off with SLOW_CONSUMER (${name})`, async () => {
      await using app = createTestApp({ start: false });
      const limit = 100;
      const frameBytes = 1_000;
      let detachedAfter = 0;
      let pushes = 0;
      const queue = new BoundedQueue<ExecutionResult>(limit, () => {
        detachedAfter = pushes;
      });
      const response = sseResponse(queue, api(app), () => slowConsumerResult(limit));
      const reader = response.body!.getReader();
      const first = await reader.read(); // the ping; then this consumer stops reading
      expect(new TextDecoder().decode(first.value)).toBe(':\n\n');
      await new Promise((resolve) => setTimeout(resolve, 10));
      for (; pushes < 1_000 && detachedAfter === 0; ) {
        pushes++;
        queue.push({ data: { text: 'x'.repeat(frameBytes) } });
        if (pushes % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      // Cut off once its own queue was full; before that the stream took no more than the budget,
      // overshot by at most one write: everything pushed since the previous one (10 per turn here).
      expect(detachedAfter).toBeGreaterThan(limit);
      expect(detachedAfter).toBeLessThanOrEqual(limit + 1 + Math.ceil(WRITE_AHEAD_BYTES / frameBytes) + 10);
      // What it finally reads: the results it was handed, SLOW_CONSUMER, the end.
      const state = { text: '' };
      await readUntil(reader, state, () => false);
      expect(state.text.split('event: next').length - 1).toBe(detachedAfter - limit);
      expect(state.text).toContain('"code":"SLOW_CONSUMER"');
      expect(state.text.endsWith('event: complete\ndata:\n\n')).toBe(true);
    });
  }
});

describe('BoundedQueue, read synchronously', () => {
  test('take reads what is queued in order; whenReady fires once at the next push', () => {
    const queue = new BoundedQueue<number>(10, () => {});
    queue.push(1);
    queue.push(2);
    expect([queue.take(), queue.take(), queue.take()]).toEqual([1, 2, undefined]);
    let woken = 0;
    queue.whenReady(() => {
      woken++;
      expect(queue.take()).toBe(3); // the item is there when the listener runs
    });
    queue.push(3);
    queue.push(4);
    expect(woken).toBe(1);
    expect([queue.take(), queue.take()]).toEqual([4, undefined]);
    queue.push(5); // the same array, started over
    expect(queue.take()).toBe(5);
    expect(queue.status).toBe('open');
  });

  test('overflow and end wake the reader and show in status; return() forgets the reader', () => {
    let detached = 0;
    const queue = new BoundedQueue<number>(2, () => detached++);
    queue.push(1);
    queue.push(2);
    const statuses: string[] = [];
    queue.whenReady(() => statuses.push(queue.status));
    queue.push(3); // the third unread item: cut off, the unread ones dropped
    expect(statuses).toEqual(['overflowed']);
    expect(queue.take()).toBeUndefined();
    expect(detached).toBe(1);

    const ended = new BoundedQueue<number>(2, () => {});
    ended.push(1);
    ended.whenReady(() => statuses.push(ended.status));
    ended.end();
    expect(statuses).toEqual(['overflowed', 'closed']);
    expect([ended.take(), ended.take()]).toEqual([1, undefined]); // queued before the end: still read

    const left = new BoundedQueue<number>(2, () => {});
    left.whenReady(() => statuses.push('woken'));
    void left.return();
    left.push(1);
    left.end();
    expect(statuses).toEqual(['overflowed', 'closed']);
  });
});
