/**
 * Many SSE subscribers at a high event rate while an operator times queries and mutations: the
 * run behind test/service/subscriber-load.test.ts (which asserts on it) and
 * bench/subscriber-load.ts (which prints it). Three processes, so each measures only itself:
 * the server (load-server.ts, publishing on its own bus), the subscribers (sse-subscribers.ts:
 * EventSource-style GETs with a minted subscription token) and this one, the operator, which
 * sends one query or mutation every `queryEveryMs` over a keep-alive connection and waits for it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';

export interface LoadSpec {
  clients: number;
  /** Events per second, published on the server's bus. */
  rate: number;
  seconds: number;
  /** Pause between two operator requests. */
  queryEveryMs: number;
  /** Extra node flags for the server process, e.g. --cpu-prof. */
  serverExecArgv?: string[];
}

export interface LoadResult {
  /** The status of each subscriber's response (200 = a stream). */
  statuses: (number | null)[];
  published: number;
  publishedPerSecond: number;
  /** The server's CPU while publishing, % of one core. */
  serverCpuPercent: number;
  /** The fewest `event: next` frames any subscriber received. */
  minReceived: number;
  /** Subscribers whose stream ended, and ones that read SLOW_CONSUMER. */
  ended: number;
  slowConsumer: number;
  /** The operator's answers while events were published, in ms, in order. */
  latencies: number[];
  idleP50: number;
  p50: number;
  p99: number;
  max: number;
}

const ADMIN = 'admin-token-1';
const READ = 'read-token-1';
const SUBSCRIPTION =
  'subscription { executionEvents { type sequence at execution { id jobId status durationMs attempt } } }';
const JOBS = '{ jobs(first: 5) { edges { node { id nextRunTime } } } }';

const support = (name: string) => fileURLToPath(new URL(name, import.meta.url));

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Sends `message` (unless null) to a child and resolves with its next reply of `type`. */
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

/** Asked to close, so a profile (--cpu-prof) is written; killed if it does not exit in time. */
async function close(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ type: 'close' });
  const timer = setTimeout(() => child.kill(), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function runSubscriberLoad(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const children: ChildProcess[] = [];
  const spawn = (name: string, args: string[], execArgv: string[] = []) => {
    const child = fork(support(name), args, {
      execArgv: ['--import', 'tsx', ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    return child;
  };

  /** One GraphQL POST over the keep-alive connection: its latency in ms and its data. */
  const timed = (port: number, query: string, token = ADMIN) => {
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
  };

  try {
    // Every subscriber uses one token, as one operator's dashboard tabs would: lift its cap.
    const server = spawn(
      'load-server.ts',
      [JSON.stringify({ maxSubscribersPerToken: spec.clients })],
      spec.serverExecArgv,
    );
    const { port } = await ask<{ port: number }>(server, null, 'listening');
    const minted = await timed(port, 'mutation { createSubscriptionToken { token } }', READ);
    const token = (minted.data.createSubscriptionToken as { token: string }).token;
    const path = `/graphql?query=${encodeURIComponent(SUBSCRIPTION)}&token=${encodeURIComponent(token)}`;
    const subscribers = spawn('sse-subscribers.ts', [String(port), String(spec.clients), path]);
    const { statuses } = await ask<{ statuses: (number | null)[] }>(subscribers, null, 'opened');
    for (let i = 0; ; i++) {
      const { count } = await ask<{ count: number }>(server, { type: 'subscribers' }, 'subscribers');
      if (count === statuses.filter((s) => s === 200).length) break;
      if (i > 200) throw new Error(`${count} of ${spec.clients} subscribers are live`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const idle: number[] = [];
    for (let i = 0; i < 20; i++) idle.push((await timed(port, JOBS)).latency);

    let publishing = true;
    const publishing$ = ask<{ count: number; seconds: number; cpuPercent: number }>(
      server,
      { type: 'publish', rate: spec.rate, seconds: spec.seconds },
      'published',
    ).finally(() => {
      publishing = false;
    });
    const latencies: number[] = [];
    let paused = false;
    while (publishing) {
      // Queries and mutations in turn: a pause, a read, a resume, a read.
      const mutation = latencies.length % 2 === 1;
      const query = mutation
        ? `mutation { ${paused ? 'resumeJob' : 'pauseJob'}(id: "load") { id paused } }`
        : JOBS;
      if (mutation) paused = !paused;
      latencies.push((await timed(port, query)).latency);
      await new Promise((resolve) => setTimeout(resolve, spec.queryEveryMs));
    }
    const published = await publishing$;

    // Let the last events arrive, then count: while the subscribers keep receiving (on a busy
    // machine they and their kernel buffers can be seconds behind), for up to 60 s.
    type Report = { received: number[]; ended: number; slowConsumer: number };
    let report = await ask<Report>(subscribers, { type: 'report' }, 'report');
    let progressAt = Date.now();
    const drainUntil = Date.now() + 60_000;
    while (Math.min(...report.received) < published.count && report.ended === 0) {
      if (Date.now() - progressAt > 5_000 || Date.now() > drainUntil) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
      const next = await ask<Report>(subscribers, { type: 'report' }, 'report');
      const sum = (r: Report) => r.received.reduce((a, n) => a + n, 0);
      if (sum(next) > sum(report)) progressAt = Date.now();
      report = next;
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      statuses,
      published: published.count,
      publishedPerSecond: Math.round(published.count / published.seconds),
      serverCpuPercent: published.cpuPercent,
      minReceived: Math.min(...report.received),
      ended: report.ended,
      slowConsumer: report.slowConsumer,
      latencies,
      idleP50: round(
        percentile(
          idle.sort((a, b) => a - b),
          0.5,
        ),
      ),
      p50: round(percentile(sorted, 0.5)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted.at(-1) ?? Number.NaN),
    };
  } finally {
    agent.destroy();
    await Promise.all(children.map(close));
  }
}
