/**
 * Subscriptions end to end: over SSE through yoga.fetch, and over graphql-ws on a real port
 * (node:http + ws + graphql-ws/use/ws, the way the Node runtime serves them).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Client, createClient, type ExecutionResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { Job } from '../../src/core/job.ts';
import { graphqlWsServerOptions } from '../../src/graphql/ws.ts';
import { createTestApp, firstError, type SseMessage, type TestApp, TOKENS, YEARLY } from './harness.ts';

function sequenceOf(event: unknown): number {
  return (event as { sequence: number } | undefined)?.sequence ?? Number.NaN;
}

describe('over SSE', () => {
  test('executionEvents delivers an execution as it starts and finishes', async () => {
    await using app = createTestApp({ handler: () => ({ done: 1 }) });
    await app.service.addJob({ id: 'a', task: 'test', trigger: YEARLY });
    const stream = await app.sse(
      'subscription { executionEvents { type sequence at execution { id jobId status result job { id } } } }',
    );
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
    expect((await stream.next())?.event).toBe('keep-alive'); // read before causing events (G5)
    await app.subscribers(1);
    const started = await app.data<{ runJobNow: { id: string } }>('mutation { runJobNow(id: "a") { id } }');
    const first = await stream.nextPayload();
    const second = await stream.nextPayload();
    expect(first.data?.executionEvents).toMatchObject({
      type: 'STARTED',
      execution: { id: started.runJobNow.id, jobId: 'a', status: 'RUNNING', job: { id: 'a' } },
    });
    expect(second.data?.executionEvents).toMatchObject({
      type: 'SUCCEEDED',
      execution: { id: started.runJobNow.id, status: 'SUCCESS', result: { done: 1 } },
    });
    expect(sequenceOf(second.data?.executionEvents)).toBe(sequenceOf(first.data?.executionEvents) + 1);
    stream.close();
    await app.subscribers(0);
  });

  test('jobEvents filtered by job; the job is null once removed', async () => {
    await using app = createTestApp();
    const stream = await app.sse(
      'subscription($id: ID) { jobEvents(jobId: $id) { type jobId at job { id name paused } } }',
      { id: 'mine' },
    );
    await stream.next();
    await app.subscribers(1);
    await app.data(
      'mutation { addJob(input: { id: "other", task: "test", trigger: { cron: { expression: "@daily" } } }) { id } }',
    );
    await app.data(
      'mutation { addJob(input: { id: "mine", name: "Mine", task: "test", trigger: { cron: { expression: "@daily" } } }) { id } }',
    );
    await app.data('mutation { pauseJob(id: "other") { id } pauseJob2: pauseJob(id: "mine") { id } }');
    await app.data('mutation { removeJob(id: "mine") { id } }');
    const events = [];
    for (let i = 0; i < 3; i++) events.push((await stream.nextPayload()).data?.jobEvents);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'ADDED',
        jobId: 'mine',
        job: { id: 'mine', name: 'Mine', paused: false },
      }),
      expect.objectContaining({
        type: 'PAUSED',
        jobId: 'mine',
        job: { id: 'mine', name: 'Mine', paused: true },
      }),
      expect.objectContaining({ type: 'REMOVED', jobId: 'mine', job: null }),
    ]);
    stream.close();
  });

  test('a slow SSE client is cut off with SLOW_CONSUMER while a fast one receives everything', async () => {
    await using app = createTestApp({ subscriberQueueLimit: 20 });
    const query = 'subscription { jobEvents { sequence } }';
    const fast = await app.sse(query);
    const slow = await app.sse(query);
    await fast.next();
    await slow.next();
    await app.subscribers(2);
    // 2,000 events in bursts of 10 (the fast client keeps up): far more than the response streams
    // buffer (some KiB) plus the hub queue of 20.
    const event = { stream: 'job', type: 'updated', at: 0, jobId: 'x', job: { id: 'x' } as Job } as const;
    const received: unknown[] = [];
    for (let burst = 0; burst < 200; burst++) {
      for (let i = 0; i < 10; i++) app.bus.publish(event);
      while (received.length < (burst + 1) * 10) {
        const payload = await fast.nextPayload();
        received.push(sequenceOf(payload.data?.jobEvents));
      }
    }
    expect(received).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
    expect(app.yoga.subscriptions.size).toBe(1); // the slow one is gone, the fast one still there

    // The slow client read nothing meanwhile: what the stream had buffered, then the error, then the end.
    const tail: NonNullable<SseMessage['data']>[] = [];
    for (let message = await slow.next(); message !== null; message = await slow.next()) {
      if (message.event === 'complete') break;
      if (message.event === 'next' && message.data) tail.push(message.data);
    }
    expect(tail.length).toBeLessThan(2_000);
    expect(firstError({ status: 200, ...tail.at(-1) })).toMatchObject({ code: 'SLOW_CONSUMER' });
    fast.close();
    await app.subscribers(0);
  });
});

describe('shared execution', () => {
  test('clients with the same subscription share one execution; others get their own', async () => {
    await using app = createTestApp();
    const query = 'subscription($id: ID) { jobEvents(jobId: $id) { type jobId sequence } }';
    const a = await app.sse(query, { id: 'x' });
    const b = await app.sse(query, { id: 'x' }, TOKENS.admin);
    const other = await app.sse(query, { id: 'y' });
    for (const stream of [a, b, other]) await stream.next();
    await app.subscribers(3);
    expect(app.yoga.subscriptions.groupCount).toBe(2);
    expect(app.yoga.hub.size).toBe(2); // one bus subscription per group, not per client
    await app.service.addJob({ id: 'x', task: 'test', trigger: YEARLY });
    await app.service.addJob({ id: 'y', task: 'test', trigger: YEARLY });
    const [fromA, fromB, fromOther] = await Promise.all([
      a.nextPayload(),
      b.nextPayload(),
      other.nextPayload(),
    ]);
    expect(fromA).toEqual(fromB);
    expect(fromA.data?.jobEvents).toMatchObject({ type: 'ADDED', jobId: 'x' });
    expect(fromOther.data?.jobEvents).toMatchObject({ type: 'ADDED', jobId: 'y' });

    // One client leaving does not end the shared stream for the other.
    a.close();
    await app.subscribers(2);
    await app.service.pauseJob('x');
    expect((await b.nextPayload()).data?.jobEvents).toMatchObject({ type: 'PAUSED', jobId: 'x' });
    b.close();
    other.close();
    await app.subscribers(0);
    expect(app.yoga.subscriptions.groupCount).toBe(0);
    expect(app.yoga.hub.size).toBe(0);
  });

  test('a burst far larger than the client queue reaches clients that keep reading', async () => {
    await using app = createTestApp({ subscriberQueueLimit: 20 });
    const query = 'subscription { jobEvents { sequence } }';
    const readers = [await app.sse(query), await app.sse(query)];
    for (const reader of readers) await reader.next();
    await app.subscribers(2);
    const event = { stream: 'job', type: 'updated', at: 0, jobId: 'x', job: { id: 'x' } as Job } as const;
    // In one tick: 7 times the client queue (and under the hub's, 10 times the client queue).
    for (let i = 0; i < 150; i++) app.bus.publish(event);
    const received = await Promise.all(
      readers.map(async (reader) => {
        const sequences: number[] = [];
        while (sequences.length < 150)
          sequences.push(sequenceOf((await reader.nextPayload()).data?.jobEvents));
        return sequences;
      }),
    );
    const all = Array.from({ length: 150 }, (_, i) => i + 1);
    expect(received).toEqual([all, all]);
    for (const reader of readers) reader.close();
  });

  test('disposing the app ends every subscription', async () => {
    const app = createTestApp();
    const stream = await app.sse('subscription { executionEvents { type } }');
    await stream.next();
    await app.subscribers(1);
    await app[Symbol.asyncDispose]();
    let message = await stream.next();
    while (message?.event === 'keep-alive') message = await stream.next();
    expect(message?.event ?? 'ended').toMatch(/complete|ended/);
  });
});

/** An HTTP server with graphql-ws on /graphql, as src/runtime/node.ts serves the app. */
async function serve(app: TestApp) {
  const server = createServer(app.yoga);
  const wss = new WebSocketServer({ server, path: app.yoga.graphqlEndpoint });
  const ws = useServer(graphqlWsServerOptions(app.yoga), wss);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    async [Symbol.asyncDispose]() {
      await ws.dispose();
      await new Promise((resolve) => wss.close(resolve));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function wsClient(url: string, authorization: string | null, headers: Record<string, string> = {}): Client {
  class HeaderWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  return createClient({
    url,
    webSocketImpl: HeaderWebSocket,
    connectionParams: authorization === null ? {} : { authorization },
    retryAttempts: 0,
  });
}

function once(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<ExecutionResult> {
  return new Promise((resolve, reject) => {
    let result: ExecutionResult | undefined;
    client.subscribe(
      { query, variables },
      {
        next: (value) => (result = value as ExecutionResult),
        error: reject,
        complete: () => resolve(result!),
      },
    );
  });
}

describe('over graphql-ws on a real port', () => {
  test('query, mutation and a subscription round trip, with the token in connectionParams', async () => {
    await using app = createTestApp();
    await using server = await serve(app);
    const admin = wsClient(server.url, `Bearer ${TOKENS.admin}`);
    const reader = wsClient(server.url, TOKENS.read); // a bare token works too
    try {
      const tasks = await once(reader, '{ tasks { name } }');
      expect(tasks.data).toEqual({ tasks: [{ name: 'http' }, { name: 'log' }, { name: 'test' }] });

      const events: ExecutionResult[] = [];
      let resolveTwo!: () => void;
      const two = new Promise<void>((resolve) => {
        resolveTwo = resolve;
      });
      const stop = reader.subscribe(
        {
          query: 'subscription($id: ID) { executionEvents(jobId: $id) { type execution { jobId status } } }',
          variables: { id: 'w' },
        },
        {
          next: (value) => {
            events.push(value as ExecutionResult);
            if (events.length === 2) resolveTwo();
          },
          error: (error) => events.push({ errors: [error as never] }),
          complete: () => {},
        },
      );
      await app.subscribers(1);
      const added = await once(
        admin,
        'mutation { addJob(input: { id: "w", task: "test", trigger: { cron: { expression: "@daily" } } }) { id } }',
      );
      expect(added).toEqual({ data: { addJob: { id: 'w' } } });
      expect((await once(admin, 'mutation { runJobNow(id: "w") { jobId } }')).data).toEqual({
        runJobNow: { jobId: 'w' },
      });
      await two;
      expect(events.map((e) => e.data?.executionEvents)).toEqual([
        { type: 'STARTED', execution: { jobId: 'w', status: 'RUNNING' } },
        { type: 'SUCCEEDED', execution: { jobId: 'w', status: 'SUCCESS' } },
      ]);
      stop();
      await app.subscribers(0);

      const denied = await once(reader, 'mutation { removeJob(id: "w") { id } }');
      expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await admin.dispose();
      await reader.dispose();
    }
  });

  test('without a token connection_init closes the socket with 4401; the upgrade request header is read too', async () => {
    await using app = createTestApp();
    await using server = await serve(app);
    const anonymous = wsClient(server.url, null);
    const viaHeader = wsClient(server.url, null, { authorization: `Bearer ${TOKENS.read}` });
    try {
      const denied = await once(anonymous, 'subscription { jobEvents { sequence } }').catch((error) => error);
      expect((denied as CloseEvent).code).toBe(4401);
      expect(app.yoga.subscriptions.size).toBe(0);
      expect((await once(viaHeader, '{ scheduler { instance } }')).data).toEqual({
        scheduler: { instance: 'gql-test' },
      });
    } finally {
      await anonymous.dispose();
      await viaHeader.dispose();
    }
  });

  test('limits apply over WebSocket too', async () => {
    await using app = createTestApp({ limits: { maxDepth: 2 } });
    await using server = await serve(app);
    const client = wsClient(server.url, TOKENS.read);
    try {
      const error = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: '{ jobs { edges { node { id } } } }' },
          { next: () => {}, error: resolve, complete: () => resolve(null) },
        );
      });
      expect(JSON.stringify(error)).toContain('depth');
    } finally {
      await client.dispose();
    }
  });
});
