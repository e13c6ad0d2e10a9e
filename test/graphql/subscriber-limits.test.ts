/**
 * Subscriber limits (issue 8): a total and a per-token cap on open subscriptions, SSE and
 * graphql-ws together. Over the cap a subscription is TOO_MANY_SUBSCRIPTIONS: over SSE HTTP 429
 * before any stream starts, over graphql-ws the result of that subscription (the socket stays).
 * A refused subscription starts nothing; a slot is given back when its client leaves, is cut off,
 * or its stream ends.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Client, createClient, type ExecutionResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { Job } from '../../src/core/job.ts';
import { isGraphQLError } from '../../src/graphql/errors.ts';
import { SubscriberLimits } from '../../src/graphql/subscriber-limits.ts';
import { graphqlWsServerOptions } from '../../src/graphql/ws.ts';
import { createTestApp, firstError, type TestApp, TOKENS } from './harness.ts';

const SUBSCRIPTION = 'subscription { jobEvents { sequence } }';
const jobEvent = { stream: 'job', type: 'updated', at: 0, jobId: 'x', job: { id: 'x' } as Job } as const;

describe('SubscriberLimits', () => {
  test('caps per key and in all; a release frees the slot once', () => {
    const limits = new SubscriberLimits({ max: 3, maxPerKey: 2 });
    const a1 = limits.tryOpen('a');
    const a2 = limits.tryOpen('a');
    const a3 = limits.tryOpen('a');
    expect(typeof a1).toBe('function');
    expect(typeof a2).toBe('function');
    expect(isGraphQLError(a3) && a3.extensions).toMatchObject({
      code: 'TOO_MANY_SUBSCRIPTIONS',
      limit: 2,
      per: 'token',
    });
    const b1 = limits.tryOpen('b');
    expect(typeof b1).toBe('function');
    const c1 = limits.tryOpen('c');
    expect(isGraphQLError(c1) && c1.extensions).toMatchObject({
      code: 'TOO_MANY_SUBSCRIPTIONS',
      per: 'server',
    });
    expect([limits.open, limits.openFor('a'), limits.openFor('b')]).toEqual([3, 2, 1]);
    (a1 as () => void)();
    (a1 as () => void)(); // twice: still one slot
    expect([limits.open, limits.openFor('a')]).toEqual([2, 1]);
    expect(typeof limits.tryOpen('c')).toBe('function');
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

function wsClient(url: string, token: string): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
}

/** Subscribes over graphql-ws; `results` fills as `next` messages arrive, `completed` when it ends. */
function wsSubscribe(client: Client, query = SUBSCRIPTION) {
  const results: ExecutionResult[] = [];
  let completed = false;
  let failed: unknown;
  const stop = client.subscribe(
    { query },
    {
      next: (value) => results.push(value as ExecutionResult),
      error: (error) => {
        failed = error;
      },
      complete: () => {
        completed = true;
      },
    },
  );
  return {
    results,
    stop,
    get completed() {
      return completed;
    },
    get failed() {
      return failed;
    },
  };
}

async function until(what: string, predicate: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('over SSE', () => {
  test('per token: the one over the cap is 429 TOO_MANY_SUBSCRIPTIONS before any stream; another token still subscribes', async () => {
    await using app = createTestApp({ maxSubscribersPerToken: 2 });
    const open = [await app.sse(SUBSCRIPTION), await app.sse(SUBSCRIPTION)];
    for (const stream of open) {
      expect(stream.response.status).toBe(200);
      await stream.next(); // the body is pull-based: read it before closing it
    }
    await app.subscribers(2);
    const refused = await app.sse(SUBSCRIPTION);
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get('retry-after')).toBe('10');
    const body = await refused.json();
    expect(firstError({ status: 429, ...body })).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    expect(body.errors?.[0]?.extensions).toMatchObject({ limit: 2, per: 'token' });
    expect(app.yoga.subscriptions.size).toBe(2);

    const other = await app.sse(SUBSCRIPTION, {}, TOKENS.admin);
    expect(other.response.status).toBe(200);
    await other.next();
    await app.subscribers(3);

    // A client that leaves gives its slot back.
    open[0]!.close();
    await app.subscribers(2);
    const again = await app.sse(SUBSCRIPTION);
    expect(again.response.status).toBe(200);
    await again.next();
    for (const stream of [open[1]!, other, again]) stream.close();
    await app.subscribers(0);
    expect(app.yoga.subscriberLimits.open).toBe(0);
  });

  test('in all: the cap counts every token; a refused subscription starts no execution', async () => {
    await using app = createTestApp({ maxSubscribers: 2 });
    const a = await app.sse('subscription { jobEvents(jobId: "a") { sequence } }', {}, TOKENS.read);
    const b = await app.sse(SUBSCRIPTION, {}, TOKENS.admin);
    await a.next();
    await b.next();
    await app.subscribers(2);
    expect(app.yoga.subscriptions.groupCount).toBe(2);
    const refused = await app.sse('subscription { executionEvents { sequence } }', {}, TOKENS.operate);
    expect(refused.response.status).toBe(429);
    expect((await refused.json()).errors?.[0]?.extensions).toMatchObject({ per: 'server', limit: 2 });
    expect(app.yoga.subscriptions.groupCount).toBe(2);
    a.close();
    b.close();
    await app.subscribers(0);
  });

  test('a client cut off with SLOW_CONSUMER, and streams ended by the server, give their slots back', async () => {
    await using app = createTestApp({ maxSubscribersPerToken: 1, subscriberQueueLimit: 5 });
    const stream = await app.sse(SUBSCRIPTION);
    await stream.next();
    await app.subscribers(1);
    // It never reads again: a burst far past its queue cuts it off.
    for (let i = 0; i < 5_000; i++) app.bus.publish(jobEvent);
    await until('the slow one is cut off', () => app.yoga.subscriberLimits.open === 0);
    stream.close();
    const next = await app.sse(SUBSCRIPTION);
    expect(next.response.status).toBe(200);
    await next.next();
    await app.subscribers(1);
    await app.yoga.dispose(); // ends every stream
    await until('the ended stream gives its slot back', () => app.yoga.subscriberLimits.open === 0);
  });
});

describe('SSE and graphql-ws together', () => {
  test('one cap for both; over WebSocket the refused subscription gets the error, the socket stays', async () => {
    await using app = createTestApp({ maxSubscribersPerToken: 2 });
    await using server = await serve(app);
    const client = wsClient(server.url, TOKENS.read);
    try {
      const sse = await app.sse(SUBSCRIPTION);
      await sse.next();
      const first = wsSubscribe(client);
      await app.subscribers(2);
      const refused = wsSubscribe(client, 'subscription { executionEvents { sequence } }');
      await until('the refusal', () => refused.completed || refused.failed !== undefined);
      expect(refused.results.map((r) => r.errors?.[0]?.extensions?.code)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
      expect(app.yoga.subscriptions.size).toBe(2);
      // The socket and its first subscription carry on.
      app.bus.publish(jobEvent);
      await until('the event over WebSocket', () => first.results.length === 1);
      expect(first.results[0]?.data).toEqual({ jobEvents: { sequence: 1 } });
      expect((await sse.nextPayload()).data).toEqual({ jobEvents: { sequence: 1 } });
      const over = await app.sse(SUBSCRIPTION);
      expect(over.response.status).toBe(429);
      // Completing a WebSocket subscription frees its slot.
      first.stop();
      await app.subscribers(1);
      const replaced = wsSubscribe(client);
      await app.subscribers(2);
      replaced.stop();
      sse.close();
      await app.subscribers(0);
      expect(app.yoga.subscriberLimits.open).toBe(0);
    } finally {
      await client.dispose();
    }
  });

  test('a closed socket gives back the slots of all its subscriptions', async () => {
    await using app = createTestApp({ maxSubscribersPerToken: 2 });
    await using server = await serve(app);
    const client = wsClient(server.url, TOKENS.read);
    wsSubscribe(client);
    wsSubscribe(client, 'subscription { executionEvents { sequence } }');
    await app.subscribers(2);
    await client.dispose();
    await app.subscribers(0);
    expect(app.yoga.subscriberLimits.open).toBe(0);
  });
});
