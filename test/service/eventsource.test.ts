/**
 * A browser EventSource against the real service process (npm start, tokens configured, a
 * frontend origin allowed), over a real port (issue 8): what it sends is a GET with
 * `Accept: text/event-stream` and no Authorization header. Without a token, or with a bad one, it
 * gets 401 before any stream (EventSource then stops instead of reconnecting); with a token minted
 * by createSubscriptionToken it streams events; the minted token opens nothing else; the subscriber
 * limits from the environment hold, answered 429.
 */
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { graphql, type ServiceProcess, startService } from './service-process.ts';

const READ = 'eventsource-read-token-0123';
const ADMIN = 'eventsource-admin-token-0123';
const FRONTEND = 'http://app.example.test:5173';
const SUBSCRIPTION = 'subscription { jobEvents { type jobId } }';

interface Opened {
  status: number;
  headers: Headers;
  /** Reads until `text` appears (200 streams), or the whole JSON body (refusals). */
  read(until?: string): Promise<string>;
  close(): void;
}

describe('EventSource on the service process', () => {
  let service: ServiceProcess;
  let url = '';
  const open: Opened[] = [];

  beforeAll(async () => {
    service = await startService('node', {
      DATABASE_URL: 'memory://',
      KAIROS_TOKENS: `read:${READ},admin:${ADMIN}`,
      KAIROS_CORS_ORIGINS: FRONTEND,
      KAIROS_MAX_SUBSCRIBERS_PER_TOKEN: '2',
      KAIROS_LOG_LEVEL: 'info', // the ready line is info
    });
    url = service.url;
  }, 120_000);

  afterAll(async () => {
    for (const stream of open) stream.close();
    await service?.kill();
  });

  /** What `new EventSource(url)` sends from a page on FRONTEND. */
  async function eventSource(
    params: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Opened> {
    const controller = new AbortController();
    const response = await fetch(`${url}?${new URLSearchParams({ query: SUBSCRIPTION, ...params })}`, {
      headers: { accept: 'text/event-stream', 'cache-control': 'no-cache', origin: FRONTEND, ...headers },
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const opened: Opened = {
      status: response.status,
      headers: response.headers,
      async read(until) {
        while (until === undefined || !text.includes(until)) {
          const chunk = await reader.read();
          if (chunk.done) break;
          text += decoder.decode(chunk.value, { stream: true });
        }
        return text;
      },
      close: () => controller.abort(),
    };
    open.push(opened);
    return opened;
  }

  async function mint(token: string): Promise<string> {
    const result = await graphql<{ createSubscriptionToken: { token: string } }>(
      url,
      'mutation { createSubscriptionToken(ttlSeconds: 120) { token } }',
      token,
    );
    expect(result.errors).toBeUndefined();
    return result.data!.createSubscriptionToken.token;
  }

  it('without a token: 401 with a JSON error before any stream, so EventSource stops', async () => {
    const cases: Record<string, string>[] = [
      {},
      { token: 'kst1.forged.read.9999999999.x.y' },
      { token: READ },
    ];
    for (const params of cases) {
      const refused = await eventSource(params);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toContain('application/json');
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = JSON.parse(await refused.read()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('with a minted token: a stream of events, readable by the allowed frontend (CORS)', async () => {
    const stream = await eventSource({ token: await mint(READ) });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    expect(stream.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    await stream.read(':\n\n');
    const added = await graphql(
      url,
      'mutation { addJob(input: { id: "es", task: "log", trigger: { cron: { expression: "0 0 1 1 *" } } }) { id } }',
      ADMIN,
    );
    expect(added.errors).toBeUndefined();
    const text = await stream.read('"jobId":"es"');
    expect(text).toContain('event: next\ndata: {"data":{"jobEvents":{"type":"ADDED","jobId":"es"}}}');
    stream.close();
  });

  it('the minted token opens nothing else: not as a bearer token, not for a query, not over WebSocket', async () => {
    const token = await mint(ADMIN);
    const asBearer = await graphql(url, 'mutation { removeJob(id: "es") { id } }', token);
    expect(asBearer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const asQuery = await eventSource({ token, query: '{ jobs { totalCount } }' });
    expect(asQuery.status).toBe(401);
    const closed = await new Promise<number>((resolve) => {
      const client = createClient({
        url: url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      client.subscribe({ query: SUBSCRIPTION }, { next() {}, error() {}, complete() {} });
    });
    expect(closed).toBe(4401);
    // Nothing changed: the job is still there.
    const job = await graphql<{ job: { id: string } | null }>(url, '{ job(id: "es") { id } }', ADMIN);
    expect(job.data?.job).toEqual({ id: 'es' });
  });

  it('KAIROS_MAX_SUBSCRIBERS_PER_TOKEN=2: minted tokens count for the token that minted them; the third is 429', async () => {
    const first = await eventSource({ token: await mint(READ) });
    const second = await eventSource({ token: await mint(READ) });
    expect([first.status, second.status]).toEqual([200, 200]);
    await first.read(':\n\n');
    await second.read(':\n\n');
    // The server counts a stream once its response has started; give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const third = await eventSource({ token: await mint(READ) });
    expect(third.status).toBe(429);
    const body = JSON.parse(await third.read()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).toMatchObject({
      code: 'TOO_MANY_SUBSCRIPTIONS',
      per: 'token',
      limit: 2,
    });
    const admin = await eventSource({ token: await mint(ADMIN) });
    expect(admin.status).toBe(200);
    first.close();
    // Its slot comes back once the server sees it leave.
    let again: Opened | undefined;
    for (let i = 0; i < 50; i++) {
      again = await eventSource({ token: await mint(READ) });
      if (again.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(again?.status).toBe(200);
  });
});
