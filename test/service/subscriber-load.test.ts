/**
 * Event delivery never starves queries: 200 SSE subscribers (in a process of their own, over a
 * real port) receive events published at 2,000 events/s for 4 s, while an operator sends a query
 * or a mutation every 20 ms and times each answer. Before delivery was bounded per loop turn, 250
 * readers at ~1,900 events/s pushed query latency to 19.7 s (issue 8).
 *
 * The bound asserted here holds on a busy 2-core machine with margin; the 100 ms goal is
 * what `npx tsx bench/subscriber-load.ts` prints (p50/p99/max), with more clients and longer.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { TOKENS } from '../graphql/harness.ts';

const CLIENTS = 200;
const RATE = 2_000;
const SECONDS = 4;
const QUERY_EVERY_MS = 20;
/** p99 of the operator's answers while the subscribers are fed. The goal is 100 ms. */
const P99_BOUND_MS = 250;
const MAX_BOUND_MS = 1_000;

const SUBSCRIPTION =
  'subscription { executionEvents { type sequence at execution { id jobId status durationMs attempt } } }';
const support = (name: string) => fileURLToPath(new URL(`../support/${name}`, import.meta.url));

interface Report {
  received: number[];
  ended: number;
  slowConsumer: number;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

/** Sends `message` (unless empty) to a child and resolves with its next reply of `type`. */
function ask<T>(child: ChildProcess, message: object | null, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: { type: string }) => {
      if (reply.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(reply as T);
    };
    const onExit = (code: number | null) => reject(new Error(`the child exited (${code}) before ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (message) child.send(message);
  });
}

function spawnChild(name: string, args: string[]): ChildProcess {
  return fork(support(name), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

describe('many SSE subscribers at a high event rate', () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const children: ChildProcess[] = [];

  afterAll(async () => {
    agent.destroy();
    // Asked to close, so a profile (--cpu-prof) is written; killed if it does not exit in time.
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send({ type: 'close' });
        const timer = setTimeout(() => child.kill(), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  });

  /** One GraphQL POST over the keep-alive connection; resolves with its latency in ms and its data. */
  function timed(port: number, query: string, token: string = TOKENS.admin) {
    const body = JSON.stringify({ query });
    const started = performance.now();
    return new Promise<{ latency: number; data: Record<string, unknown> }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            const latency = performance.now() - started;
            const parsed = JSON.parse(text) as { data: Record<string, unknown>; errors?: unknown[] };
            if (res.statusCode !== 200 || parsed.errors)
              reject(new Error(`answer ${res.statusCode}: ${text}`));
            else resolve({ latency, data: parsed.data });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  test(`${CLIENTS} subscribers at ${RATE} events/s: every one is fed, and the operator's answers stay fast`, async () => {
    const server = spawnChild('load-server.ts', [JSON.stringify({ maxSubscribersPerToken: CLIENTS })]);
    children.push(server);
    const { port } = await ask<{ port: number }>(server, null, 'listening');
    const minted = await timed(port, 'mutation { createSubscriptionToken { token } }', TOKENS.read);
    const token = (minted.data.createSubscriptionToken as { token: string }).token;
    const path = `/graphql?query=${encodeURIComponent(SUBSCRIPTION)}&token=${encodeURIComponent(token)}`;
    const subscribers = spawnChild('sse-subscribers.ts', [String(port), String(CLIENTS), path]);
    children.push(subscribers);
    const opened = await ask<{ statuses: (number | null)[] }>(subscribers, null, 'opened');
    expect(opened.statuses.filter((s) => s === 200)).toHaveLength(CLIENTS);
    for (let i = 0; ; i++) {
      const { count } = await ask<{ count: number }>(server, { type: 'subscribers' }, 'subscribers');
      if (count === CLIENTS) break;
      if (i > 100) throw new Error(`${count} of ${CLIENTS} subscribers are live`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Idle answers first, for the record.
    const jobs = '{ jobs(first: 5) { edges { node { id nextRunTime } } } }';
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) idle.push((await timed(port, jobs)).latency);

    let publishing = true;
    const publishedPromise = ask<{ count: number; seconds: number; cpuPercent: number }>(
      server,
      { type: 'publish', rate: RATE, seconds: SECONDS },
      'published',
    ).finally(() => {
      publishing = false;
    });
    const latencies: number[] = [];
    let paused = false;
    while (publishing) {
      const query =
        latencies.length % 2 === 0
          ? jobs
          : `mutation { ${paused ? 'resumeJob' : 'pauseJob'}(id: "load") { id paused } }`;
      if (latencies.length % 2 === 1) paused = !paused;
      latencies.push((await timed(port, query)).latency);
      await new Promise((resolve) => setTimeout(resolve, QUERY_EVERY_MS));
    }
    const published = await publishedPromise;

    // Let the last events arrive, then count.
    let report = await ask<Report>(subscribers, { type: 'report' }, 'report');
    for (let i = 0; i < 100 && Math.min(...report.received) < published.count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      report = await ask<Report>(subscribers, { type: 'report' }, 'report');
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const summary = {
      published: published.count,
      publishedPerSecond: Math.round(published.count / published.seconds),
      serverCpuPercent: published.cpuPercent,
      minReceived: Math.min(...report.received),
      ended: report.ended,
      slowConsumer: report.slowConsumer,
      answers: latencies.length,
      idleP50: Number(
        percentile(
          [...idle].sort((a, b) => a - b),
          0.5,
        ).toFixed(1),
      ),
      p50: Number(percentile(sorted, 0.5).toFixed(1)),
      p99: Number(percentile(sorted, 0.99).toFixed(1)),
      max: Number((sorted.at(-1) ?? Number.NaN).toFixed(1)),
    };
    console.log('subscriber load:', JSON.stringify(summary));
    const why = JSON.stringify(summary);

    expect(published.count).toBe(RATE * SECONDS);
    expect(report.ended, why).toBe(0);
    expect(report.slowConsumer, why).toBe(0);
    expect(summary.minReceived, why).toBe(published.count);
    expect(latencies.length, why).toBeGreaterThan(SECONDS * 10);
    expect(summary.p99, why).toBeLessThan(P99_BOUND_MS);
    expect(summary.max, why).toBeLessThan(MAX_BOUND_MS);
  }, 60_000);
});
