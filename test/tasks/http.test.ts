import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.ts';
import type { JsonValue } from '../../src/core/json.ts';
import type { TaskContext } from '../../src/core/task.ts';
import { silentLogger } from '../../src/logger.ts';
import { type HttpResult, httpTask, MAX_RESPONSE_BODY_BYTES } from '../../src/tasks/http.ts';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const SCHEDULED_FOR = Date.parse('2026-03-01T12:30:00.000Z');
const BIG_BODY_BYTES = 4 * 1024 * 1024;

// The server reports what it saw on this emitter: 'request' (every request, once its body is read),
// 'closed:<path>' (the connection closed while serving <path>: the client gave up on that response).
const events = new EventEmitter();
// A keep-alive connection serves many requests; its close is blamed on the last one it served.
const lastPath = new WeakMap<object, string>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const received: Received = {
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      lastPath.set(req.socket, path);
      events.emit('request', received);
      if (path === '/ok') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('all good');
      } else if (path === '/created') {
        res.writeHead(201).end();
      } else if (path === '/fail') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`down ${'x'.repeat(5000)}`);
      } else if (path === '/big') {
        // Larger than the socket buffers: the response can only finish if the client reads it all.
        res.writeHead(200, { 'content-type': 'text/plain' }).end('é'.repeat(BIG_BODY_BYTES / 2));
      } else if (path === '/hang') {
        // Never answers: only the client's abort ends this request.
      } else {
        res.writeHead(404).end('no such path');
      }
    });
  });
  server.on('connection', (socket) => {
    socket.on('close', () => events.emit(`closed:${lastPath.get(socket) ?? ''}`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

function context(signal: AbortSignal = new AbortController().signal): TaskContext {
  return {
    signal,
    logger: silentLogger,
    executionId: 'exec-42',
    jobId: 'nightly-report',
    scheduledFor: SCHEDULED_FOR,
    attempt: 3,
  };
}

async function run(args: JsonValue, signal?: AbortSignal): Promise<HttpResult> {
  return (await httpTask.handler(args, context(signal))) as HttpResult;
}

/** Runs `args` and returns what the server received along with the result. */
async function runAndCapture(args: JsonValue): Promise<{ received: Received; result: HttpResult }> {
  const arrived = once(events, 'request') as Promise<[Received]>;
  const result = await run(args);
  const [received] = await arrived;
  return { received, result };
}

describe('http task', () => {
  it('sends the four X-Kairos headers, POST by default, and a JSON body as application/json', async () => {
    const { received, result } = await runAndCapture({ url: `${base}/ok`, body: { hello: 'world', n: 1 } });

    expect(received.method).toBe('POST');
    expect(received.path).toBe('/ok');
    expect(received.headers['x-kairos-job-id']).toBe('nightly-report');
    expect(received.headers['x-kairos-execution-id']).toBe('exec-42');
    expect(received.headers['x-kairos-scheduled-for']).toBe('2026-03-01T12:30:00.000Z');
    expect(received.headers['x-kairos-attempt']).toBe('3');
    expect(received.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received.body)).toEqual({ hello: 'world', n: 1 });

    expect(result.status).toBe(200);
    expect(result.body).toBe('all good');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(Object.keys(result).sort()).toEqual(['body', 'durationMs', 'status']);
  });

  it('sends the given method, headers and string body as they are', async () => {
    const { received, result } = await runAndCapture({
      url: `${base}/created`,
      method: 'put',
      headers: { Authorization: 'Bearer s3cret', 'Content-Type': 'text/csv' },
      body: 'a,b\n1,2\n',
    });

    expect(received.method).toBe('PUT');
    expect(received.headers.authorization).toBe('Bearer s3cret');
    expect(received.headers['content-type']).toBe('text/csv');
    expect(received.body).toBe('a,b\n1,2\n');
    expect(result).toMatchObject({ status: 201, body: '' });
  });

  it('keeps a content-type header the job sets on a JSON body', async () => {
    const { received } = await runAndCapture({
      url: `${base}/ok`,
      headers: { 'content-type': 'application/vnd.api+json' },
      body: [1, 2, 3],
    });
    expect(received.headers['content-type']).toBe('application/vnd.api+json');
    expect(received.body).toBe('[1,2,3]');
  });

  it('sends GET and HEAD without a body', async () => {
    const get = await runAndCapture({ url: `${base}/ok`, method: 'GET' });
    expect(get.received.method).toBe('GET');
    expect(get.received.body).toBe('');
    expect(get.result.body).toBe('all good');

    const head = await runAndCapture({ url: `${base}/ok`, method: 'HEAD' });
    expect(head.received.method).toBe('HEAD');
    expect(head.result).toMatchObject({ status: 200, body: '' });
  });

  it('fails a non-2xx answer with the status, method and URL, and at most ~1 KiB of the body', async () => {
    const error = (await run({ url: `${base}/fail` }).catch((e: unknown) => e)) as Error;

    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(
      /^HTTP 503 Service Unavailable from POST http:\/\/127\.0\.0\.1:\d+\/fail: down x+/,
    );
    expect(error.message).toContain('[truncated]');
    expect(new TextEncoder().encode(error.message).length).toBeLessThan(MAX_RESPONSE_BODY_BYTES + 200);
    expect((error as Error & { status?: number }).status).toBe(503);
  });

  it('keeps only the first 1 KiB of a large answer and cancels the rest of the body', async () => {
    const closed = once(events, 'closed:/big');
    const result = await run({ url: `${base}/big`, method: 'GET' });

    expect(result.status).toBe(200);
    expect(new TextEncoder().encode(result.body).length).toBeLessThanOrEqual(MAX_RESPONSE_BODY_BYTES);
    expect(result.body).toMatch(/^(é)+…\[truncated\]$/);
    // The client cancelled the body rather than leave it pending, which closes the connection.
    await closed;
  });

  it('aborts a request that outlives args.timeoutMs', async () => {
    const closed = once(events, 'closed:/hang');
    const error = (await run({ url: `${base}/hang`, timeoutMs: 100 }).catch((e: unknown) => e)) as Error;

    expect(error.message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/hang timed out after 100 ms/);
    await closed;
  });

  it("aborts an in-flight request when the execution's signal aborts, with the signal's reason", async () => {
    const controller = new AbortController();
    const arrived = once(events, 'request');
    const closed = once(events, 'closed:/hang');
    const pending = run({ url: `${base}/hang` }, controller.signal);
    await arrived;

    const reason = new Error('execution timed out after 5000 ms');
    controller.abort(reason);

    await expect(pending).rejects.toBe(reason);
    await closed;
  });

  it('does not send a request when the signal is already aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('scheduler stopping');
    controller.abort(reason);
    let requests = 0;
    const count = () => requests++;
    events.on('request', count);
    try {
      await expect(run({ url: `${base}/ok` }, controller.signal)).rejects.toBe(reason);
    } finally {
      events.off('request', count);
    }
    expect(requests).toBe(0);
  });

  it('fails clearly when the connection is refused', async () => {
    // A port that was just free: nothing listens on it any more.
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    probe.close();
    await once(probe, 'close');

    const error = (await run({ url: `http://127.0.0.1:${port}/hook` }).catch((e: unknown) => e)) as Error;
    // Each runtime words it its own way (Node: "connect ECONNREFUSED 127.0.0.1:<port>", Bun: "ECONNREFUSED:
    // Unable to connect...", Deno: "...Connection refused (os error 111)"); what matters is that the message
    // names the target and the reason, not just "fetch failed".
    expect(error.message.startsWith(`POST http://127.0.0.1:${port}/hook failed: `)).toBe(true);
    expect(error.message).toMatch(/ECONNREFUSED|connection refused/i);
    if (!('Bun' in globalThis) && !('Deno' in globalThis)) {
      expect(error.message).toBe(
        `POST http://127.0.0.1:${port}/hook failed: connect ECONNREFUSED 127.0.0.1:${port}`,
      );
    }
  });
});

describe('http task validateArgs', () => {
  const validate = httpTask.validateArgs!;

  it('accepts a full, valid set of args', () => {
    expect(() =>
      validate({
        url: 'https://example.com/hook?x=1',
        method: 'PATCH',
        headers: { 'X-Token': 'abc' },
        body: { a: 1 },
        timeoutMs: 5000,
      }),
    ).not.toThrow();
    expect(() => validate({ url: 'http://localhost:8080' })).not.toThrow();
  });

  const cases: [string, JsonValue, string][] = [
    ['args not an object', 'http://example.com', 'args'],
    ['args an array', ['http://example.com'], 'args'],
    ['missing url', {}, 'args.url'],
    ['url not a string', { url: 42 }, 'args.url'],
    ['relative url', { url: '/hook' }, 'args.url'],
    ['ftp url', { url: 'ftp://example.com/file' }, 'args.url'],
    ['url with credentials', { url: 'https://user:pw@example.com/' }, 'args.url'],
    ['unknown method', { url: 'http://example.com', method: 'TRACE' }, 'args.method'],
    ['method not a string', { url: 'http://example.com', method: 1 }, 'args.method'],
    ['headers an array', { url: 'http://example.com', headers: ['a'] }, 'args.headers'],
    ['header value not a string', { url: 'http://example.com', headers: { 'X-N': 1 } }, 'args.headers.X-N'],
    [
      'invalid header name',
      { url: 'http://example.com', headers: { 'bad name': 'v' } },
      'args.headers.bad name',
    ],
    ['invalid header value', { url: 'http://example.com', headers: { 'X-A': 'a\nb' } }, 'args.headers.X-A'],
    [
      'forged Kairos header',
      { url: 'http://example.com', headers: { 'X-Kairos-Attempt': '1' } },
      'args.headers.X-Kairos-Attempt',
    ],
    ['GET with a body', { url: 'http://example.com', method: 'GET', body: 'x' }, 'args.body'],
    ['timeout zero', { url: 'http://example.com', timeoutMs: 0 }, 'args.timeoutMs'],
    ['timeout fractional', { url: 'http://example.com', timeoutMs: 1.5 }, 'args.timeoutMs'],
    ['timeout a string', { url: 'http://example.com', timeoutMs: '5s' }, 'args.timeoutMs'],
    ['timeout too long', { url: 'http://example.com', timeoutMs: 2 ** 31 }, 'args.timeoutMs'],
    ['unknown field (typo)', { url: 'http://example.com', header: {} }, 'args.header'],
  ];

  it.each(cases)('rejects %s, naming the field', (_label, args, field) => {
    let thrown: unknown;
    try {
      validate(args);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).field).toBe(field);
    expect((thrown as ValidationError).code).toBe('BAD_USER_INPUT');
  });

  it('fails an execution whose stored args are invalid, before any request', async () => {
    await expect(run({ url: 'file:///etc/passwd' })).rejects.toThrow(
      /args\.url: must use http or https, not file/,
    );
  });
});
