/**
 * End to end: starts the service the way the README says (node src/runtime/node.ts, embedded
 * defaults, PORT=0), points an `http` job at a server in this test, and drives it over GraphQL:
 * fire, pause, resume, remove, live events over graphql-ws, then SIGTERM and exit code 0.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { graphql as post, runToExit, type ServiceProcess, startService, until } from './service-process.ts';

interface Hit {
  at: number;
  headers: IncomingMessage['headers'];
  body: string;
}

const TOKEN = 'e2e-admin-token-0123456789';

describe('the service process (npm start)', () => {
  let dataDir: string;
  let service: ServiceProcess;
  let url = '';
  let hook: Server;
  let hookUrl = '';
  const hits: Hit[] = [];
  const graphql = <T = Record<string, unknown>>(query: string, token: string | null = TOKEN) =>
    post<T>(url, query, token);

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        hits.push({ at: Date.now(), headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;

    dataDir = await mkdtemp(join(tmpdir(), 'kairos-e2e-'));
    // A fresh PGlite data directory takes seconds to create: startService waits up to 90 s.
    service = await startService('node', {
      KAIROS_DATA_DIR: join(dataDir, 'data'),
      KAIROS_TOKENS: `admin:${TOKEN}`,
      KAIROS_INSTANCE: 'e2e',
      KAIROS_LOG_LEVEL: 'info',
    });
    url = service.url;
  }, 120_000);

  afterAll(async () => {
    await service?.kill();
    await new Promise((resolve) => hook?.close(resolve));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('prints one ready line with the URL and the stores, and is ready', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(service.lines.find((l) => l.msg.startsWith('Kairos ready'))).toMatchObject({
      instance: 'e2e',
      jobStore: 'memory',
      executionLog: 'pglite',
      auth: '1 token(s)',
    });
    const ready = await fetch(url.replace('/graphql', '/readyz'));
    expect(ready.status).toBe(200);
  });

  it('refuses a request without a token', async () => {
    const result = await graphql('{ tasks { name } }', null);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('adds an http job, sees it fire and recorded, pauses, resumes and removes it', async () => {
    const events: { type: string; status: string }[] = [];
    const ws = createClient({
      url: url.replace('http://', 'ws://'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${TOKEN}` },
    });
    const unsubscribe = ws.subscribe<{ executionEvents: { type: string; execution: { status: string } } }>(
      { query: 'subscription { executionEvents(jobId: "ping") { type execution { status } } }' },
      {
        next: ({ data }) => {
          if (data)
            events.push({ type: data.executionEvents.type, status: data.executionEvents.execution.status });
        },
        error: () => {},
        complete: () => {},
      },
    );
    try {
      // Let the subscription reach the server before the first fire.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const added = await graphql<{ addJob: { id: string; task: string } }>(`mutation {
        addJob(input: {
          id: "ping", task: "http",
          args: { url: "${hookUrl}", method: "POST", body: { hello: "kairos" } },
          trigger: { interval: { seconds: 1 } }
        }) { id task }
      }`);
      expect(added).toEqual({ data: { addJob: { id: 'ping', task: 'http' } } });

      await until('the job to fire', () => hits.length >= 1);
      expect(hits[0]?.headers['x-kairos-job-id']).toBe('ping');
      expect(JSON.parse(hits[0]?.body ?? '')).toEqual({ hello: 'kairos' });
      await until('a SUCCEEDED event over graphql-ws', () => events.some((e) => e.type === 'SUCCEEDED'));
      expect(events[0]).toEqual({ type: 'STARTED', status: 'RUNNING' });

      await until('the execution recorded', async () => {
        const result = await graphql<{ job: { lastExecution: { status: string } | null } }>(
          '{ job(id: "ping") { lastExecution { status } } }',
        );
        return result.data?.job.lastExecution?.status === 'SUCCESS';
      });

      const paused = await graphql<{ pauseJob: { paused: boolean } }>(
        'mutation { pauseJob(id: "ping") { paused } }',
      );
      expect(paused.data?.pauseJob.paused).toBe(true);
      // A fire already started when the pause landed may still arrive; after that, silence.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const whilePaused = hits.length;
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(hits.length).toBe(whilePaused);

      const resumed = await graphql<{ resumeJob: { paused: boolean } }>(
        'mutation { resumeJob(id: "ping") { paused } }',
      );
      expect(resumed.data?.resumeJob.paused).toBe(false);
      await until('a fire after resume', () => hits.length > whilePaused);

      const removed = await graphql<{ removeJob: { id: string } }>(
        'mutation { removeJob(id: "ping") { id } }',
      );
      expect(removed.data?.removeJob.id).toBe('ping');
      const again = await graphql('mutation { removeJob(id: "ping") { id } }');
      expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const gone = await graphql<{ job: unknown }>('{ job(id: "ping") { id } }');
      expect(gone.data?.job).toBeNull();

      const history = await graphql<{ executions: { edges: { node: { status: string } }[] } }>(
        '{ executions(jobId: "ping", first: 50) { edges { node { status } } } }',
      );
      const statuses = history.data?.executions.edges.map((e) => e.node.status) ?? [];
      expect(statuses.length).toBeGreaterThanOrEqual(2);
      expect(statuses.filter((s) => s === 'SUCCESS').length).toBeGreaterThanOrEqual(2);
    } finally {
      unsubscribe();
      await ws.dispose();
    }
  }, 60_000);

  it('stops gracefully on SIGTERM with exit code 0', async () => {
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(service.lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['stopping', 'scheduler stopped', 'stopped']),
    );
  }, 30_000);
});

describe('settings errors', () => {
  it('prints every problem and exits 1 (no tokens on a public address, a bad port)', async () => {
    const { code, stderr, stdout } = await runToExit('node', { HOST: '0.0.0.0', PORT: 'eighty' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Kairos cannot start: 2 settings are invalid:/);
    expect(stderr).toContain('  - PORT="eighty" must be a whole number between 0 and 65535');
    expect(stderr).toContain('  - KAIROS_TOKENS is required when HOST is not a loopback address');
    expect(stdout).toBe('');
  });

  it('refuses a bad jobs file with its path and field, and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kairos-jobs-'));
    try {
      const file = join(dir, 'jobs.json');
      await writeFile(
        file,
        JSON.stringify([{ id: 'x', task: 'log', trigger: { cron: { expression: '* * *' } } }]),
      );
      // PGlite starts first (the file is read after migrations): allow for a loaded machine.
      const { code, stderr } = await runToExit(
        'node',
        { DATABASE_URL: 'memory://', KAIROS_JOBS_FILE: file },
        100_000,
      );
      expect(code).toBe(1);
      expect(stderr).toContain(`jobs file ${file} is invalid:`);
      expect(stderr).toMatch(/- jobs\[0\]\.trigger\.cron\.expression: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
