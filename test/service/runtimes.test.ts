/**
 * The same service on Node, Bun and Deno (issue 4): each runtime entry is started as a real
 * process, on embedded defaults and on Redis + PostgreSQL, and checked for a query, a mutation, a
 * job firing and recorded, an SSE and a graphql-ws subscription receiving their events, and a
 * graceful stop on SIGTERM with exit code 0. Node on embedded defaults is the e2e suite.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createTestDatabase,
  deleteRedisPrefix,
  postgresAvailability,
  REDIS_URL,
  redisAvailability,
  uniquePrefix,
} from '../support/services.ts';
import {
  graphql,
  RUNTIME_COMMANDS,
  type RuntimeName,
  runtimeInstalled,
  type ServiceProcess,
  startService,
  until,
} from './service-process.ts';

const TOKEN = 'runtime-suite-token-0123456789';

/** Reads an SSE response until `done(text)` holds; returns the text read. */
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

async function exercise(service: ServiceProcess, jobId: string): Promise<void> {
  const { url } = service;
  const query = await graphql<{ tasks: { name: string }[] }>(url, '{ tasks { name } }', TOKEN);
  expect(query.data?.tasks.map((t) => t.name)).toEqual(['http', 'log']);

  // SSE: Yoga's body is pull-based, so the subscription starts when the body is first read: read
  // the keep-alive before anything is published.
  const sse = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${TOKEN}`,
    },
    body: JSON.stringify({ query: `subscription { jobEvents(jobId: "${jobId}") { type jobId } }` }),
  });
  expect(sse.status).toBe(200);
  const sseText = readSse(sse, (text) => text.includes('"ADDED"'));

  const wsEvents: string[] = [];
  const ws = createClient({
    url: url.replace('http://', 'ws://'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${TOKEN}` },
  });
  const wsSubscribed = new Promise<void>((resolve) => {
    ws.on('connected', () => setTimeout(resolve, 200));
  });
  const unsubscribe = ws.subscribe<{ executionEvents: { type: string } }>(
    { query: `subscription { executionEvents(jobId: "${jobId}") { type } }` },
    {
      next: ({ data }) => {
        if (data) wsEvents.push(data.executionEvents.type);
      },
      error: (error) => wsEvents.push(`error: ${JSON.stringify(error)}`),
      complete: () => {},
    },
  );
  try {
    await wsSubscribed;
    const added = await graphql<{ addJob: { id: string } }>(
      url,
      `mutation { addJob(input: { id: "${jobId}", task: "log", trigger: { interval: { seconds: 1 } } }) { id } }`,
      TOKEN,
    );
    expect(added).toEqual({ data: { addJob: { id: jobId } } });
    expect(await sseText).toContain(`"jobId":"${jobId}"`);

    await until('a SUCCEEDED event over graphql-ws', () => wsEvents.includes('SUCCEEDED'));
    expect(wsEvents[0]).toBe('STARTED');
    await until('the execution recorded', async () => {
      const result = await graphql<{ job: { lastExecution: { status: string } | null } }>(
        url,
        `{ job(id: "${jobId}") { lastExecution { status } } }`,
        TOKEN,
      );
      return result.data?.job.lastExecution?.status === 'SUCCESS';
    });
  } finally {
    unsubscribe();
    await ws.dispose();
  }
  expect(await service.stop('SIGTERM')).toBe(0);
  expect(service.lines.map((l) => l.msg)).toContain('stopped');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * SIGTERM while PGlite creates its data directory (the API answers before that is done): the stop
 * waits for it, exits 0, and the next start opens the directory.
 */
async function stopWhileTheHistoryOpens(runtime: RuntimeName, dataDir: string): Promise<void> {
  const port = await freePort();
  const [command, ...args] = RUNTIME_COMMANDS[runtime] as [string, ...string[]];
  const child = spawn(command, args, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      KAIROS_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until(
      'the health endpoint',
      async () => {
        if (child.exitCode !== null) throw new Error(`exited early:\n${output}`);
        return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200;
      },
      60_000,
    );
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503); // a first start: initdb takes seconds
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(output).not.toContain('Kairos ready');
  } finally {
    child.kill('SIGKILL');
  }
}

const redis = await redisAvailability();
const pg = await postgresAvailability();
const servers = redis.available && pg.available;

describe.each(['node', 'bun', 'deno'] as RuntimeName[])('%s runtime', (runtime) => {
  const installed = runtimeInstalled(runtime);
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  // Node on embedded defaults is test/service/e2e.test.ts.
  if (runtime !== 'node') {
    it.skipIf(!installed)(
      'on embedded defaults (memory job store, PGlite on disk)',
      async () => {
        const dataDir = await mkdtemp(join(tmpdir(), `kairos-${runtime}-`));
        cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
        const service = await startService(runtime, {
          KAIROS_DATA_DIR: join(dataDir, 'data'),
          KAIROS_TOKENS: `admin:${TOKEN}`,
        });
        cleanup.push(() => service.kill());
        expect(service.lines.find((l) => l.msg.startsWith('Kairos ready'))).toMatchObject({
          runtime: expect.stringMatching(new RegExp(`^${runtime} `)),
          jobStore: 'memory',
          executionLog: 'pglite',
        });
        await exercise(service, `embedded-${runtime}`);
      },
      120_000,
    );
  }

  it.skipIf(!installed)(
    'stops gracefully while the history opens, and the next start opens it',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), `kairos-${runtime}-`));
      cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
      await stopWhileTheHistoryOpens(runtime, join(dataDir, 'data'));
      const service = await startService(runtime, {
        KAIROS_DATA_DIR: join(dataDir, 'data'),
        KAIROS_TOKENS: `admin:${TOKEN}`,
      });
      cleanup.push(() => service.kill());
      const query = await graphql<{ executions: { totalCount: number } }>(
        service.url,
        '{ executions(first: 1) { totalCount } }',
        TOKEN,
      );
      expect(query.data?.executions.totalCount).toBe(0);
      expect(await service.stop('SIGTERM')).toBe(0);
    },
    120_000,
  );

  it.skipIf(!installed || !servers)(
    'on Redis + PostgreSQL',
    async () => {
      const database = await createTestDatabase(`rt_${runtime}`);
      cleanup.push(() => database.drop());
      const prefix = uniquePrefix(runtime).slice(0, 64);
      cleanup.push(() => deleteRedisPrefix(prefix));
      const service = await startService(runtime, {
        REDIS_URL,
        DATABASE_URL: database.url,
        KAIROS_REDIS_PREFIX: prefix,
        KAIROS_TOKENS: `admin:${TOKEN}`,
      });
      cleanup.push(() => service.kill());
      expect(service.lines.find((l) => l.msg.startsWith('Kairos ready'))).toMatchObject({
        jobStore: 'redis',
        executionLog: 'postgres',
      });
      await exercise(service, `servers-${runtime}`);
    },
    120_000,
  );
});
