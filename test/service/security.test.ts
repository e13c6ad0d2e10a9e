/**
 * The web perimeter (issue 8) over a real port: the service process is started as `npm start`
 * starts it, and attacked the way a page on another site (or a DNS-rebinding page) would: forged
 * form, text/plain and multipart POSTs, an evil-origin preflight and WebSocket, a foreign Host, a
 * WebSocket that never authenticates. Each attack asserts that nothing changed (the job list is
 * read afterwards); the legitimate paths (GraphiQL, a frontend on an allowed origin, SSE and
 * graphql-ws) are checked to still work. Bun and Deno get the WebSocket checks, the part each
 * runtime implements on its own.
 */
import { request as httpRequest } from 'node:http';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  graphql,
  type RuntimeName,
  runtimeInstalled,
  type ServiceProcess,
  startService,
} from './service-process.ts';

const ADMIN = 'security-admin-token-0123456789';
const READ = 'security-read-token-0123456789';
const EVIL = 'https://evil.example';
const FRONTEND = 'https://app.example';

const ADD_JOB =
  'mutation { addJob(input: { id: "planted", task: "http", args: { url: "https://evil.example/hook" }, ' +
  'trigger: { interval: { seconds: 1 } } }) { id } }';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http, so Host and Origin are sent exactly as given (fetch would set or refuse them). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; path?: string } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: options.path ?? target.pathname,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function jobIds(url: string, token: string | null = null): Promise<string[]> {
  const result = await graphql<{ jobs: { edges: { node: { id: string } }[] } }>(
    url,
    '{ jobs { edges { node { id } } } }',
    token,
  );
  expect(result.errors).toBeUndefined();
  return result.data?.jobs.edges.map((e) => e.node.id) ?? [];
}

type Upgrade = { refused: number; body: string } | { socket: WebSocket };

/** Opens a graphql-transport-ws socket; resolves when it opens or the upgrade is answered. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace('http://', 'ws://'), 'graphql-transport-ws', { headers });
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ refused: res.statusCode ?? 0, body }));
    });
    socket.once('error', (error) => {
      if (socket.readyState !== WebSocket.CLOSED) reject(error);
    });
  });
}

function opened(result: Upgrade): WebSocket {
  if (!('socket' in result)) throw new Error(`upgrade refused with ${result.refused}: ${result.body}`);
  return result.socket;
}

interface Closed {
  code: number;
  reason: string;
  afterMs: number;
}

/** Sends `messages`, then waits for the close (or `ms`); returns the close and the messages received. */
async function conversation(
  socket: WebSocket,
  messages: unknown[],
  ms = 6_000,
): Promise<{ closed: Closed | null; received: { type: string }[] }> {
  const received: { type: string }[] = [];
  socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString()) as { type: string }));
  const started = performance.now();
  const closed = new Promise<Closed | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString(), afterMs: performance.now() - started });
    });
  });
  for (const message of messages) socket.send(JSON.stringify(message));
  const result = await closed;
  if (result === null) socket.terminate();
  return { closed: result, received };
}

/** Reads an SSE response until `done(text)` holds. */
async function readSse(response: Response, done: (text: string) => boolean, ms = 15_000): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  try {
    while (!done(text)) {
      if (Date.now() > deadline) throw new Error(`SSE: timed out; got ${JSON.stringify(text)}`);
      const { value, done: ended } = await reader.read();
      if (ended) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text;
}

/** A graphql-ws subscription to jobEvents, then `trigger()`; resolves with the first event's type. */
async function wsJobEvent(
  url: string,
  connectionParams: Record<string, string>,
  jobId: string,
  trigger: () => Promise<unknown>,
): Promise<string> {
  const client = createClient({
    url: url.replace('http://', 'ws://'),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
  });
  try {
    const event = new Promise<string>((resolve, reject) => {
      client.subscribe<{ jobEvents: { type: string } }>(
        { query: `subscription { jobEvents(jobId: "${jobId}") { type } }` },
        {
          next: ({ data, errors }) =>
            data ? resolve(data.jobEvents.type) : reject(new Error(JSON.stringify(errors))),
          error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
          complete: () => reject(new Error('completed without an event')),
        },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the subscription reach the server
    await trigger();
    return await event;
  } finally {
    await client.dispose();
  }
}

const FORGED: [string, Record<string, string>, () => string | Buffer][] = [
  [
    'a cross-site form POST (application/x-www-form-urlencoded)',
    { 'content-type': 'application/x-www-form-urlencoded' },
    () => new URLSearchParams({ query: ADD_JOB }).toString(),
  ],
  [
    'a text/plain POST',
    { 'content-type': 'text/plain;charset=UTF-8' },
    () => JSON.stringify({ query: ADD_JOB }),
  ],
  [
    'a multipart POST',
    { 'content-type': 'multipart/form-data; boundary=kairos' },
    () =>
      [
        '--kairos',
        'Content-Disposition: form-data; name="operations"',
        '',
        JSON.stringify({ query: ADD_JOB }),
        '--kairos',
        'Content-Disposition: form-data; name="map"',
        '',
        '{}',
        '--kairos--',
        '',
      ].join('\r\n'),
  ],
  [
    'text/plain dressed as JSON in a parameter',
    { 'content-type': 'text/plain; application/json' },
    () => JSON.stringify({ query: ADD_JOB }),
  ],
  ['a POST without a content type', {}, () => JSON.stringify({ query: ADD_JOB })],
];

describe('default settings (no tokens: anonymous admin on 127.0.0.1)', () => {
  let service: ServiceProcess;
  let url = '';
  let port = '';

  beforeAll(async () => {
    service = await startService('node', { DATABASE_URL: 'memory://' });
    url = service.url;
    port = new URL(url).port;
  }, 120_000);
  afterAll(() => service?.kill());

  it.each(FORGED)('refuses %s with 415, and stores nothing', async (_name, headers, body) => {
    const response = await raw(url, {
      method: 'POST',
      headers: { origin: EVIL, ...headers },
      body: body(),
    });
    expect(response.status).toBe(415);
    expect(JSON.parse(response.body)).toMatchObject({
      errors: [{ extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }],
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(await jobIds(url)).toEqual([]);
  });

  it('refuses a mutation over GET (405), and stores nothing', async () => {
    const response = await raw(url, {
      path: `/graphql?query=${encodeURIComponent(ADD_JOB)}`,
      headers: { accept: 'application/json', origin: EVIL },
    });
    expect(response.status).toBe(405);
    expect(response.body).toContain('mutation');
    expect(await jobIds(url)).toEqual([]);
  });

  it('answers an evil-origin preflight with no CORS header, and a JSON POST from it without one', async () => {
    const preflight = await raw(url, {
      method: 'OPTIONS',
      headers: {
        origin: EVIL,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBeGreaterThanOrEqual(200);
    for (const name of Object.keys(preflight.headers)) expect(name).not.toMatch(/^access-control-/);

    const query = await raw(url, {
      method: 'POST',
      headers: { origin: EVIL, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ tasks { name } }' }),
    });
    expect(query.status).toBe(200);
    for (const name of Object.keys(query.headers)) expect(name).not.toMatch(/^access-control-/);
  });

  it('refuses a foreign Host (DNS rebinding) with 421 and a clear message, and stores nothing', async () => {
    for (const host of [`attacker.example:${port}`, 'attacker.example', `127.0.0.1.nip.io:${port}`]) {
      const response = await raw(url, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json' },
        body: JSON.stringify({ query: ADD_JOB }),
      });
      expect(response.status).toBe(421);
      const body = JSON.parse(response.body) as {
        errors: { message: string; extensions: { code: string } }[];
      };
      expect(body.errors[0]?.extensions.code).toBe('MISDIRECTED_REQUEST');
      expect(body.errors[0]?.message).toMatch(/not served: without KAIROS_TOKENS .* loopback names/);
    }
    const page = await raw(url, { headers: { host: 'attacker.example', accept: 'text/html' } });
    expect(page.status).toBe(421);
    expect(await jobIds(url)).toEqual([]);
  });

  it('serves loopback Host names with any port, and the health endpoints to any Host', async () => {
    for (const host of [
      `localhost:${port}`,
      `kairos.localhost:${port}`,
      `127.0.0.2:${port}`,
      `[::1]:${port}`,
    ]) {
      const response = await raw(url, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ tasks { name } }' }),
      });
      expect(response.status, host).toBe(200);
    }
    const health = await raw(url, { path: '/healthz', headers: { host: 'attacker.example' } });
    expect(health.status).toBe(200);
  });

  it('refuses a WebSocket from an evil origin or to a foreign Host before the upgrade', async () => {
    const evil = await upgrade(url, { origin: EVIL });
    expect(evil).toMatchObject({
      refused: 403,
      body: expect.stringContaining('origin "https://evil.example"'),
    });
    const rebinding = await upgrade(url, {
      host: `attacker.example:${port}`,
      origin: `http://attacker.example:${port}`,
    });
    expect(rebinding).toMatchObject({ refused: 421 });
    const nullOrigin = await upgrade(url, { origin: 'null' });
    expect(nullOrigin).toMatchObject({ refused: 403 });
    expect(await jobIds(url)).toEqual([]);
  });

  it('closes a socket that never sends connection_init after 3 s (4408)', async () => {
    const socket = opened(await upgrade(url));
    const { closed } = await conversation(socket, [], 6_000);
    expect(closed?.code).toBe(4408);
    expect(closed?.afterMs).toBeGreaterThan(2_500);
    expect(closed?.afterMs).toBeLessThan(4_500);
  });

  it('serves GraphiQL to a browser', async () => {
    const page = await raw(url, { headers: { accept: 'text/html', host: `localhost:${port}` } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<title>Kairos</title>');
  });

  it('serves SSE (POST and GET, as EventSource sends it) and graphql-ws subscriptions anonymously', async () => {
    // Same-origin, as GraphiQL or a page served from 127.0.0.1 sends it.
    const sse = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        origin: `http://127.0.0.1:${port}`,
      },
      body: JSON.stringify({ query: 'subscription { jobEvents(jobId: "anon-sse") { type jobId } }' }),
    });
    expect(sse.status).toBe(200);
    const sseText = readSse(sse, (text) => text.includes('"ADDED"'));
    const get = await fetch(
      `${url}?query=${encodeURIComponent('subscription { jobEvents(jobId: "anon-sse") { type } }')}`,
      { headers: { accept: 'text/event-stream' } },
    );
    expect(get.status).toBe(200);
    const getText = readSse(get, (text) => text.includes('"ADDED"'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const added = await graphql(
      url,
      'mutation { addJob(input: { id: "anon-sse", task: "log", trigger: { interval: { hours: 1 } } }) { id } }',
    );
    expect(added).toEqual({ data: { addJob: { id: 'anon-sse' } } });
    expect(await sseText).toContain('"jobId":"anon-sse"');
    expect(await getText).toContain('"ADDED"');

    const type = await wsJobEvent(url, {}, 'anon-ws', () =>
      graphql(
        url,
        'mutation { addJob(input: { id: "anon-ws", task: "log", trigger: { interval: { hours: 1 } } }) { id } }',
      ),
    );
    expect(type).toBe('ADDED');
    expect((await jobIds(url)).sort()).toEqual(['anon-sse', 'anon-ws']);
  }, 30_000);
});

describe(`with tokens and KAIROS_CORS_ORIGINS=${FRONTEND}`, () => {
  let service: ServiceProcess;
  let url = '';
  let port = '';

  beforeAll(async () => {
    service = await startService('node', {
      DATABASE_URL: 'memory://',
      KAIROS_TOKENS: `admin:${ADMIN},read:${READ}`,
      KAIROS_CORS_ORIGINS: FRONTEND,
    });
    url = service.url;
    port = new URL(url).port;
  }, 120_000);
  afterAll(() => service?.kill());

  it('answers the allowed origin preflight with CORS headers, and an evil origin without', async () => {
    const preflight = (origin: string) =>
      raw(url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
    const allowed = await preflight(FRONTEND);
    expect(allowed.status).toBe(204);
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': FRONTEND,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'authorization, content-type',
      vary: expect.stringContaining('Origin'),
    });
    const evil = await preflight(EVIL);
    for (const name of Object.keys(evil.headers)) expect(name).not.toMatch(/^access-control-/);
  });

  it('gives a JSON fetch from the allowed origin its answer and CORS headers', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { origin: FRONTEND, 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({
        query:
          'mutation { addJob(input: { id: "frontend", task: "log", trigger: { interval: { hours: 1 } } }) { id } }',
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(await response.json()).toEqual({ data: { addJob: { id: 'frontend' } } });
  });

  it('still refuses a forged form POST, even with a valid token', async () => {
    const response = await raw(url, {
      method: 'POST',
      headers: {
        origin: FRONTEND,
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Bearer ${ADMIN}`,
      },
      body: new URLSearchParams({ query: ADD_JOB }).toString(),
    });
    expect(response.status).toBe(415);
    expect(await jobIds(url, ADMIN)).not.toContain('planted');
  });

  it('serves any Host name: the Host rule is for anonymous access only', async () => {
    const response = await raw(url, {
      method: 'POST',
      headers: {
        host: `kairos.internal:${port}`,
        'content-type': 'application/json',
        authorization: `Bearer ${READ}`,
      },
      body: JSON.stringify({ query: '{ tasks { name } }' }),
    });
    expect(response.status).toBe(200);
  });

  it('closes a connection_init without a token, or with a wrong one, with 4401 at once', async () => {
    for (const payload of [undefined, {}, { authorization: 'Bearer not-a-valid-token-0123456789' }]) {
      const socket = opened(await upgrade(url));
      const { closed, received } = await conversation(socket, [
        payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload },
        { type: 'subscribe', id: '1', payload: { query: ADD_JOB } },
      ]);
      expect(closed?.code, JSON.stringify(payload)).toBe(4401);
      expect(closed?.afterMs).toBeLessThan(1_000);
      expect(received).toEqual([]); // no connection_ack, no result
    }
    expect(await jobIds(url, ADMIN)).not.toContain('planted');
  });

  it('refuses an evil-origin WebSocket and accepts the allowed origin and the same origin', async () => {
    expect(await upgrade(url, { origin: EVIL })).toMatchObject({ refused: 403 });
    for (const origin of [FRONTEND, `http://127.0.0.1:${port}`]) {
      const socket = opened(await upgrade(url, { origin }));
      const { received } = await conversation(
        socket,
        [{ type: 'connection_init', payload: { authorization: `Bearer ${READ}` } }],
        500,
      );
      expect(received, origin).toEqual([{ type: 'connection_ack' }]);
    }
  });

  it('serves SSE and graphql-ws subscriptions with a token', async () => {
    const sse = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${READ}`,
      },
      body: JSON.stringify({ query: 'subscription { jobEvents(jobId: "tok-sse") { type jobId } }' }),
    });
    expect(sse.status).toBe(200);
    const sseText = readSse(sse, (text) => text.includes('"ADDED"'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const add = (id: string) =>
      graphql(
        url,
        `mutation { addJob(input: { id: "${id}", task: "log", trigger: { interval: { hours: 1 } } }) { id } }`,
        ADMIN,
      );
    expect(await add('tok-sse')).toEqual({ data: { addJob: { id: 'tok-sse' } } });
    expect(await sseText).toContain('"jobId":"tok-sse"');

    const type = await wsJobEvent(url, { authorization: `Bearer ${READ}` }, 'tok-ws', () => add('tok-ws'));
    expect(type).toBe('ADDED');
  }, 30_000);
});

describe.each(['bun', 'deno'] as RuntimeName[])('WebSocket perimeter on %s', (runtime) => {
  const installed = runtimeInstalled(runtime);
  let service: ServiceProcess | undefined;
  afterAll(() => service?.kill());

  it.skipIf(!installed)(
    'refuses evil origins and foreign Hosts before the upgrade, closes a bad connection_init with 4401',
    async () => {
      service = await startService(runtime, { DATABASE_URL: 'memory://' });
      const { url } = service;
      const port = new URL(url).port;
      expect(await upgrade(url, { origin: EVIL })).toMatchObject({ refused: 403 });
      expect(await upgrade(url, { host: `attacker.example:${port}` })).toMatchObject({ refused: 421 });
      // Anonymous admin here, so a missing token is admin; a wrong one grants nothing.
      const socket = opened(await upgrade(url));
      const { closed, received } = await conversation(socket, [
        { type: 'connection_init', payload: { authorization: 'Bearer not-a-valid-token-0123456789' } },
        { type: 'subscribe', id: '1', payload: { query: ADD_JOB } },
      ]);
      expect(closed?.code).toBe(4401);
      expect(closed?.afterMs).toBeLessThan(1_000);
      expect(received).toEqual([]);
      const form = await raw(url, {
        method: 'POST',
        headers: { origin: EVIL, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: ADD_JOB }).toString(),
      });
      expect(form.status).toBe(415);
      expect(await jobIds(url)).toEqual([]);
      const type = await wsJobEvent(url, {}, 'rt-ws', () =>
        graphql(
          url,
          'mutation { addJob(input: { id: "rt-ws", task: "log", trigger: { interval: { hours: 1 } } }) { id } }',
        ),
      );
      expect(type).toBe('ADDED');
    },
    120_000,
  );
});
