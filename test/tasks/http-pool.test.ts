/**
 * The `http` task's pooled client on Node (undici Agent, src/tasks/http-transport.ts), against a
 * real node:http server that counts its connections: keep-alive reuse, the per-origin limit,
 * timeouts and aborts that free their connection, redirects followed only when asked, and bodies
 * read to their end (connection reused) or cancelled (connection closed), never left open.
 */
import { EventEmitter, once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/core/json.ts';
import type { TaskContext } from '../../src/core/task.ts';
import { silentLogger } from '../../src/logger.ts';
import { createHttpTask, type HttpResult, HttpStatusError } from '../../src/tasks/http.ts';
import { defaultTransport, type HttpTransport } from '../../src/tasks/http-transport.ts';

interface Target {
  base: string;
  events: EventEmitter;
  /** Connections accepted so far, open now, and the most open at once. */
  connections: { total: number; open: number; peak: number };
  paths: string[];
  /** Requests to /held, answered when the test says so. */
  held: ServerResponse[];
  server: Server;
}

const targets: Target[] = [];
const transports: HttpTransport[] = [];

async function startTarget(): Promise<Target> {
  const events = new EventEmitter();
  const connections = { total: 0, open: 0, peak: 0 };
  const paths: string[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '/';
      paths.push(path);
      if (path === '/ok') res.writeHead(200).end('all good');
      else if (path === '/moved') res.writeHead(302, { location: '/ok' }).end('moved');
      else if (path === '/big') res.writeHead(200).end('x'.repeat(4 * 1024 * 1024));
      else if (path === '/held') held.push(res);
      else if (path === '/hang') {
        // Never answers: only the client's abort ends it.
      } else res.writeHead(404).end();
      events.emit('request', path);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections.total++;
    connections.open++;
    connections.peak = Math.max(connections.peak, connections.open);
    socket.on('close', () => {
      connections.open--;
      events.emit('closed');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const target = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    connections,
    paths,
    held,
    server,
  };
  targets.push(target);
  return target;
}

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close?.()));
  for (const { server } of targets.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

function pooledTask(connectionsPerOrigin: number) {
  const transport = defaultTransport({ connectionsPerOrigin });
  transports.push(transport);
  return createHttpTask(transport);
}

function context(signal: AbortSignal = new AbortController().signal): TaskContext {
  return {
    signal,
    logger: silentLogger,
    executionId: 'exec-1',
    jobId: 'hook',
    scheduledFor: Date.parse('2026-03-01T12:30:00.000Z'),
    attempt: 1,
  };
}

function runner(connectionsPerOrigin: number) {
  const task = pooledTask(connectionsPerOrigin);
  return (args: JsonValue, signal?: AbortSignal) =>
    task.handler(args, context(signal)) as Promise<HttpResult>;
}

/** Resolves once `target` has seen `count` requests in all. */
function requestsSeen(target: Target, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (target.paths.length < count) return;
      target.events.off('request', check);
      resolve();
    };
    target.events.on('request', check);
    check();
  });
}

function closedCount(target: Target): number {
  return target.connections.total - target.connections.open;
}

/** Resolves once `target` has seen `count` of its connections close. */
function closedAtLeast(target: Target, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (closedCount(target) < count) return;
      target.events.off('closed', check);
      resolve();
    };
    target.events.on('closed', check);
    check();
  });
}

/** Resolves once `target` has no connection open. */
function allClosed(target: Target): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (target.connections.open > 0) return;
      target.events.off('closed', check);
      resolve();
    };
    target.events.on('closed', check);
    check();
  });
}

describe.skipIf('Bun' in globalThis || 'Deno' in globalThis)('http task: pooled client (Node)', () => {
  it('sends requests one after another over the same keep-alive connections', async () => {
    const target = await startTarget();
    const run = runner(4);
    for (let i = 0; i < 20; i++) expect((await run({ url: `${target.base}/ok` })).status).toBe(200);
    expect(target.paths).toHaveLength(20);
    // undici opens a second one while the first is still finishing its first POST; then both serve.
    expect(target.connections.total).toBeLessThanOrEqual(2);
    expect(target.connections.open).toBe(target.connections.total);
  });

  it('opens at most connectionsPerOrigin connections per origin; further requests wait for a free one', async () => {
    const [a, b] = [await startTarget(), await startTarget()];
    const run = runner(3);
    const herd = [a, b].flatMap((target) =>
      Array.from({ length: 12 }, () => run({ url: `${target.base}/held` })),
    );
    // Each origin gets its own pool of 3: answer a round of 3 at a time until all 12 are served.
    for (const target of [a, b]) {
      for (let round = 1; round <= 4; round++) {
        await requestsSeen(target, round * 3);
        expect(target.held).toHaveLength(3);
        for (const res of target.held.splice(0)) res.writeHead(200).end('done');
      }
    }
    const results = await Promise.all(herd);
    expect(results.every((r) => r.status === 200 && r.body === 'done')).toBe(true);
    for (const target of [a, b]) {
      expect(target.connections.total).toBe(3);
      expect(target.connections.peak).toBe(3);
    }
  });

  it('a timeout aborts the request and frees its connection for the next one', async () => {
    const target = await startTarget();
    const run = runner(1);
    const error = await run({ url: `${target.base}/hang`, timeoutMs: 100 }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/\/hang timed out after 100 ms \(args\.timeoutMs\)$/);
    await allClosed(target);
    // With one connection per origin, this would wait forever if the aborted one were still held.
    expect(await run({ url: `${target.base}/ok` })).toMatchObject({ status: 200, body: 'all good' });
  });

  it("the execution's abort ends the request and frees its connection", async () => {
    const target = await startTarget();
    const run = runner(1);
    const controller = new AbortController();
    const pending = run({ url: `${target.base}/hang` }, controller.signal);
    await requestsSeen(target, 1);
    const reason = new Error('execution timed out after 5000 ms');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await allClosed(target);
    expect(await run({ url: `${target.base}/ok` })).toMatchObject({ status: 200 });
  });

  it('does not follow a redirect unless asked: the 3xx fails the run and names where it points', async () => {
    const target = await startTarget();
    const run = runner(2);
    const error = await run({ url: `${target.base}/moved` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(302);
    expect((error as Error).message).toBe(
      `HTTP 302 Found from POST ${target.base}/moved (a redirect to /ok; args.followRedirects: true follows it): moved`,
    );
    expect(target.paths).toEqual(['/moved']);

    const followed = await run({ url: `${target.base}/moved`, method: 'GET', followRedirects: true });
    expect(followed).toMatchObject({ status: 200, body: 'all good' });
    expect(target.paths).toEqual(['/moved', '/moved', '/ok']);
  });

  it('reads small bodies to their end (the connection is reused) and cancels large ones (it is closed)', async () => {
    const target = await startTarget();
    const run = runner(2);
    for (let i = 0; i < 5; i++) await run({ url: `${target.base}/ok` });
    expect(target.connections.total).toBeLessThanOrEqual(2);
    expect(closedCount(target)).toBe(0);

    // Each 4 MiB answer is cut at 1 KiB: its connection is closed, not left with a body pending.
    for (let i = 0; i < 3; i++) {
      const result = await run({ url: `${target.base}/big`, method: 'GET' });
      expect(result.body.endsWith('…[truncated]')).toBe(true);
    }
    await closedAtLeast(target, 3);
    for (let i = 0; i < 5; i++) expect((await run({ url: `${target.base}/ok` })).status).toBe(200);
    expect(closedCount(target)).toBe(3);
    expect(target.connections.open).toBeLessThanOrEqual(2);
  });

  it('rejects a followRedirects that is not a boolean, naming the field', () => {
    const task = createHttpTask(defaultTransport({ connectionsPerOrigin: 1 }));
    expect(() => task.validateArgs?.({ url: 'http://127.0.0.1/', followRedirects: 'yes' })).toThrow(
      'args.followRedirects: must be true or false',
    );
  });
});
