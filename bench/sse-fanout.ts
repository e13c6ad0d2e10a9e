/**
 * Live fan-out over SSE: N subscribers (default 500) of `executionEvents`, events published through
 * the EventBus at R events/s (default 100), side by side with a bare node:http SSE server that
 * writes the same payloads to the same number of connections. Prints, for both: delivered events/s,
 * delivery ratio, latency p50/p99/max (the publish time carried in the event vs the receive time),
 * server RSS and CPU, and the ratio Kairos/bare; then a slow-consumer check: one more client that
 * never reads (by default on a 12x larger selection of the same events, so the kernel's socket
 * buffers fill in seconds, not minutes), run back to back with a control run where that client
 * reads: the others' latency, the server's memory, and whether the slow one was cut off with
 * SLOW_CONSUMER.
 *
 *   npx tsx bench/sse-fanout.ts [clients=500] [rate=100] [seconds=10] [--placement=child|same|both]
 *     [--rounds=1] [--slow=large|same] [--slow-seconds=40] [--only=pairs|slow] [--quiet=<% of a core>]
 *
 * Every server runs in a process of its own (its RSS is its own). Clients run in a child process
 * (`child`: a core of their own, the default) or inside the server process (`same`). With several
 * rounds, bare and Kairos alternate and the ratio is the median. The `others` CPU figure is what
 * the rest of the machine used meanwhile: latency moves with it (`--quiet=30` waits, up to 2 min
 * per run, until other processes use under 30 % of a core). Server CPU per delivery moves least.
 * BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server process there.
 * The publish time is the event's *intended* time, so a server that falls behind shows it as latency.
 * Not a test: figures vary with the machine.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createServerAdapter } from '@whatwg-node/server';
import { createMemoryEventBus } from '../src/adapters/memory/event-bus.ts';
import { createMemoryExecutionLog } from '../src/adapters/memory/execution-log.ts';
import { createMemoryJobStore } from '../src/adapters/memory/job-store.ts';
import { systemClock } from '../src/core/clock.ts';
import type { Execution } from '../src/core/execution.ts';
import { JobService } from '../src/core/job-service.ts';
import { Scheduler } from '../src/core/scheduler/scheduler.ts';
import { createKairosYoga } from '../src/graphql/yoga.ts';
import { createBuiltinRegistry } from '../src/tasks/registry.ts';
import { compare, times } from './support.ts';

type Peer = 'bare' | 'kairos';
type SlowMode = 'none' | 'same' | 'large';
type Placement = 'child' | 'same';

interface RunSpec {
  peer: Peer;
  placement: Placement;
  clients: number;
  rate: number;
  seconds: number;
  /** Add one client that never reads, on the same subscription or on a 12x larger one. */
  slow: SlowMode;
  /** That client reads after all (the control run for the slow one). */
  extraReads?: boolean;
}

interface ClientStats {
  received: number;
  minPerClient: number;
  bytesPerEvent: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU of the clients' process since mark(), % of one core (NaN when they share the server's). */
  cpuPercent: number;
  /** The slow client, when there is one: what it finally read. */
  slow?: { bytes: number; sawSlowConsumer: boolean; ended: boolean };
}

interface RunResult {
  spec: RunSpec;
  published: number;
  stats: ClientStats;
  rssReadyMb: number;
  rssMaxMb: number;
  rssEndMb: number;
  cpuPercent: number;
  /** The whole machine's busy CPU meanwhile, % of one core. */
  machinePercent: number;
  /** Seconds after the first publish when the server dropped the slow client; null = never. */
  slowCutAfterS: number | null;
}

const WARMUP_S = 2;
const DRAIN_MS = 2_000;
const TOKEN = 'bench-read-token';
const QUERY =
  'subscription { executionEvents { type sequence at execution { id jobId jobName task status triggerKind scheduledFor startedAt finishedAt durationMs attempt instance result } } }';
/** The same events, 12 times over (aliases): a never-reading client fills its buffers 12x sooner. */
const LARGE_QUERY = `subscription { executionEvents { ${Array.from(
  { length: 12 },
  (_, i) =>
    `a${i}: execution { id jobId jobName task status triggerKind scheduledFor startedAt finishedAt durationMs attempt instance result }`,
).join(' ')} } }`;
const SELF = fileURLToPath(import.meta.url);

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

const rssMb = () => process.memoryUsage.rss() / 2 ** 20;

// ---------------------------------------------------------------------------------------------
// Payloads: the bare peer writes exactly what Kairos answers for QUERY.

function execution(sequence: number, t: number): Execution {
  return {
    id: `exec-${sequence}`,
    jobId: 'bench-job',
    jobName: 'bench',
    task: 'http',
    status: 'success',
    triggerKind: 'scheduled',
    scheduledFor: t,
    startedAt: t,
    finishedAt: t,
    durationMs: 3,
    attempt: 1,
    instance: 'bench',
    owner: null,
    dueAt: null,
    coversUntil: null,
    coveredFires: 1,
    error: null,
    result: { t },
  };
}

function barePayload(sequence: number, t: number): string {
  const e = execution(sequence, t);
  const iso = new Date(t).toISOString();
  return JSON.stringify({
    data: {
      executionEvents: {
        type: 'SUCCEEDED',
        sequence,
        at: iso,
        execution: {
          id: e.id,
          jobId: e.jobId,
          jobName: e.jobName,
          task: e.task,
          status: 'SUCCESS',
          triggerKind: 'SCHEDULED',
          scheduledFor: iso,
          startedAt: iso,
          finishedAt: iso,
          durationMs: e.durationMs,
          attempt: e.attempt,
          instance: e.instance,
          result: e.result,
        },
      },
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Servers

interface BenchServer {
  port: number;
  /** Live subscriptions as the server counts them. */
  subscribers(): number;
  publish(sequence: number, t: number): void;
  close(): Promise<void>;
}

async function listen(server: ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function bareServer(): Promise<BenchServer> {
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      connection: 'keep-alive',
      'cache-control': 'no-cache',
    });
    res.write(':\n\n');
    streams.add(res);
    res.on('close', () => streams.delete(res));
  });
  const port = await listen(server);
  return {
    port,
    subscribers: () => streams.size,
    publish(sequence, t) {
      const frame = `event: next\ndata: ${barePayload(sequence, t)}\n\n`;
      for (const res of streams) res.write(frame);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function kairosServer(): Promise<BenchServer> {
  const tasks = createBuiltinRegistry();
  const bus = createMemoryEventBus();
  const store = createMemoryJobStore({ clock: systemClock });
  const log = createMemoryExecutionLog();
  const scheduler = new Scheduler({ store, log, bus, tasks, instance: 'bench' });
  scheduler.start();
  const yoga = createKairosYoga({
    service: JobService.of(scheduler),
    bus,
    tokens: new Map([[TOKEN, 'read']]),
    anonymousScope: null,
    // Every client uses one token: lift the per-token cap (default 100) out of the way.
    maxSubscribers: 100_000,
    maxSubscribersPerToken: 100_000,
  });
  // As src/runtime/node.ts serves the app.
  const server = createServer(createServerAdapter((request: Request) => yoga.fetch(request)));
  const port = await listen(server);
  return {
    port,
    subscribers: () => yoga.subscriptions.size,
    publish(sequence, t) {
      bus.publish({ stream: 'execution', type: 'succeeded', at: t, execution: execution(sequence, t) });
    },
    async close() {
      await yoga.dispose();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await scheduler.stop({ deadlineMs: 0 });
      await bus.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Clients

interface Clients {
  ready: Promise<void>;
  /** Events published in [from, to) are measured; said before the first one is published. */
  window(from: number, to: number): void;
  /** The measured window starts now (for the clients' own CPU figure). */
  mark(): void;
  report(): Promise<ClientStats>;
  close(): void;
}

/**
 * Latencies in 0.1 ms bins up to 60 s: fixed memory however long the run (growing arrays of
 * millions of samples stalled the clients' process and showed up as latency).
 */
class Histogram {
  private readonly bins = new Uint32Array(600_000);
  count = 0;
  max = Number.NaN;

  add(ms: number): void {
    const bin = Math.min(this.bins.length - 1, Math.max(0, Math.floor(ms * 10)));
    this.bins[bin] = (this.bins[bin] as number) + 1;
    this.count++;
    if (!(ms <= this.max)) this.max = ms;
  }

  percentile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.min(this.count - 1, Math.floor(this.count * q));
    let seen = 0;
    for (let bin = 0; bin < this.bins.length; bin++) {
      seen += this.bins[bin] as number;
      if (seen > rank) return bin / 10;
    }
    return this.max;
  }
}

function openClients(port: number, count: number, slow: SlowMode, extraReads = false): Clients {
  const histogram = new Histogram();
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  let n = 0;
  let bytes = 0;
  const perClient = new Array<number>(count).fill(0);
  const requests: { destroy(): void }[] = [];
  const body = JSON.stringify({ query: QUERY });
  const headers = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    accept: 'text/event-stream',
    authorization: `Bearer ${TOKEN}`,
  };

  const record = (t: number, latency: number): void => {
    n++;
    if (t >= from && t < to) histogram.add(latency);
  };

  const connections = Array.from(
    { length: count },
    (_, index) =>
      new Promise<void>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers, agent: false },
          (res) => {
            if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
            res.setEncoding('utf8');
            let buffer = '';
            let first = true;
            res.on('data', (chunk: string) => {
              const received = now();
              bytes += chunk.length;
              buffer += chunk;
              let end = buffer.indexOf('\n\n');
              while (end !== -1) {
                const block = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                end = buffer.indexOf('\n\n');
                if (first) {
                  first = false;
                  resolve();
                }
                if (!block.startsWith('event: next')) continue;
                const at = block.lastIndexOf('"t":');
                if (at === -1) continue;
                const t = Number.parseFloat(block.slice(at + 4));
                record(t, received - t);
                perClient[index] = (perClient[index] as number) + 1;
              }
            });
          },
        );
        req.on('error', reject);
        req.end(body);
        requests.push(req);
      }),
  );

  // Sends its request and then never reads: the kernel's buffers fill, then the server's share.
  let slowState: NonNullable<ClientStats['slow']> | undefined;
  let slowSocket: ReturnType<typeof connect> | undefined;
  let extraSocket: ReturnType<typeof connect> | undefined;
  if (slow !== 'none') {
    slowState = { bytes: 0, sawSlowConsumer: false, ended: false };
    const slowBody = slow === 'large' ? JSON.stringify({ query: LARGE_QUERY }) : body;
    const socket = connect(port, '127.0.0.1');
    if (extraReads) socket.on('data', () => {});
    else {
      slowSocket = socket;
      socket.pause();
    }
    extraSocket = socket;
    const slowHeaders = { ...headers, 'content-length': Buffer.byteLength(slowBody) };
    socket.write(
      `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\n${Object.entries(slowHeaders)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n${slowBody}`,
    );
    socket.on('error', () => {});
  }

  let cpuMark: { at: number; usage: NodeJS.CpuUsage } | null = null;
  return {
    ready: Promise.all(connections).then(() => {}),
    window(windowFrom, windowTo) {
      from = windowFrom;
      to = windowTo;
    },
    mark() {
      cpuMark = { at: now(), usage: process.cpuUsage() };
    },
    async report() {
      const used = cpuMark ? process.cpuUsage(cpuMark.usage) : null;
      const cpuPercent =
        used && cpuMark ? ((used.user + used.system) / 1000 / (now() - cpuMark.at)) * 100 : Number.NaN;
      if (slowSocket && slowState) {
        // Now read what the slow client was sent: its tail should be SLOW_CONSUMER and the end.
        const state = slowState;
        const socket = slowSocket;
        let tail = '';
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 3_000);
          socket.on('data', (chunk: Buffer) => {
            state.bytes += chunk.length;
            tail = (tail + chunk.toString('utf8')).slice(-4096);
            if (tail.includes('SLOW_CONSUMER')) state.sawSlowConsumer = true;
          });
          socket.on('end', () => {
            state.ended = true;
            clearTimeout(timer);
            resolve();
          });
          socket.resume();
        });
        // An ended chunked response: the terminating zero-length chunk.
        if (tail.endsWith('0\r\n\r\n')) state.ended = true;
      }
      return {
        received: histogram.count,
        minPerClient: Math.min(...perClient),
        bytesPerEvent: n === 0 ? 0 : bytes / n,
        p50: histogram.percentile(0.5),
        p99: histogram.percentile(0.99),
        max: histogram.max,
        cpuPercent,
        slow: slowState,
      };
    },
    close() {
      for (const req of requests) req.destroy();
      extraSocket?.destroy();
    },
  };
}

/** The clients in a child process, driven over IPC. */
function forkClients(port: number, count: number, slow: SlowMode, extraReads: boolean): Clients {
  const child = fork(SELF, ['--role=clients', String(port), String(count), slow, String(extraReads)], {
    stdio: 'inherit',
  });
  const reply = <T>(type: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: { type: string; value: T; error?: string }) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        if (message.error) reject(new Error(message.error));
        else resolve(message.value);
      };
      child.on('message', onMessage);
    });
  return {
    ready: reply<void>('ready'),
    window(from, to) {
      child.send({ type: 'window', from, to });
    },
    mark() {
      child.send({ type: 'mark' });
    },
    report() {
      child.send({ type: 'report' });
      return reply<ClientStats>('report');
    },
    close() {
      child.kill();
    },
  };
}

async function clientsRole(args: string[]): Promise<void> {
  const [port, count, slow, extraReads] = args;
  const clients = openClients(Number(port), Number(count), slow as SlowMode, extraReads === 'true');
  clients.ready.then(
    () => process.send?.({ type: 'ready' }),
    (error: unknown) => process.send?.({ type: 'ready', error: String(error) }),
  );
  process.on('message', async (message: { type: string; from: number; to: number }) => {
    if (message.type === 'window') clients.window(message.from, message.to);
    if (message.type === 'mark') clients.mark();
    if (message.type !== 'report') return;
    const value = await clients.report();
    process.send?.({ type: 'report', value });
    clients.close();
  });
}

// ---------------------------------------------------------------------------------------------
// One run, in its own server process

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Busy and total CPU time of the machine (Linux /proc/stat, jiffies); null elsewhere. */
function machineTimes(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      ?.trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    if (!fields || fields.length < 5) return null;
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

async function serverRole(spec: RunSpec): Promise<RunResult> {
  const server = spec.peer === 'bare' ? await bareServer() : await kairosServer();
  const total = spec.clients + (spec.slow === 'none' ? 0 : 1);
  const clients =
    spec.placement === 'child'
      ? forkClients(server.port, spec.clients, spec.slow, spec.extraReads === true)
      : openClients(server.port, spec.clients, spec.slow, spec.extraReads === true);
  await clients.ready;
  while (server.subscribers() < total) await sleep(5);
  await sleep(200);

  const interval = 1000 / spec.rate;
  const start = now() + 50;
  const measureFrom = start + WARMUP_S * 1000;
  const measureTo = measureFrom + spec.seconds * 1000;
  clients.window(measureFrom, measureTo);
  const rssReadyMb = rssMb();
  let rssMaxMb = rssReadyMb;
  let slowCutAfterS: number | null = null;
  const sampler = setInterval(() => {
    rssMaxMb = Math.max(rssMaxMb, rssMb());
    if (spec.slow !== 'none' && !spec.extraReads && slowCutAfterS === null && server.subscribers() < total)
      slowCutAfterS = (now() - start) / 1000;
  }, 100);
  let cpuAtMeasure: NodeJS.CpuUsage | null = null;
  let machineAtMeasure: ReturnType<typeof machineTimes> = null;
  let cpuPercent = 0;
  let machinePercent = Number.NaN;

  // Events are due at start + k * interval; a late wake publishes every due one (catch-up).
  let published = 0;
  let sequence = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const wall = now();
      for (;;) {
        const t = start + sequence * interval;
        if (t > wall || t >= measureTo) break;
        if (cpuAtMeasure === null && t >= measureFrom) {
          cpuAtMeasure = process.cpuUsage();
          machineAtMeasure = machineTimes();
          clients.mark();
        }
        sequence++;
        server.publish(sequence, t);
        if (t >= measureFrom) published++;
      }
      const next = start + sequence * interval;
      if (next >= measureTo) {
        const used = process.cpuUsage(cpuAtMeasure ?? undefined);
        cpuPercent = ((used.user + used.system) / 1000 / (spec.seconds * 1000)) * 100;
        const machine = machineTimes();
        if (machine && machineAtMeasure)
          machinePercent =
            ((machine.busy - machineAtMeasure.busy) / (machine.total - machineAtMeasure.total)) *
            cpus().length *
            100;
        resolve();
        return;
      }
      setTimeout(tick, Math.max(0, next - now()));
    };
    setTimeout(tick, Math.max(0, start - now()));
  });
  await sleep(DRAIN_MS);
  clearInterval(sampler);
  const rssEndMb = rssMb();
  const stats = await clients.report();
  if (spec.placement === 'same') stats.cpuPercent = Number.NaN; // counted in the server's
  clients.close();
  await server.close();
  return {
    spec,
    published,
    stats,
    rssReadyMb,
    rssMaxMb,
    rssEndMb,
    cpuPercent,
    machinePercent,
    slowCutAfterS,
  };
}

/**
 * Waits (up to 2 min) until the rest of the machine uses under `percent` % of a core: on a shared
 * machine, latency figures only compare between runs that had the CPU to themselves.
 */
async function waitForQuiet(percent: number): Promise<void> {
  if (!(percent > 0)) return;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const before = machineTimes();
    await sleep(1_000);
    const after = machineTimes();
    if (!before || !after) return;
    const busy = ((after.busy - before.busy) / (after.total - before.total)) * cpus().length * 100;
    if (busy < percent || Date.now() > deadline) return;
  }
}

function runInProcess(spec: RunSpec): Promise<RunResult> {
  const execArgv = [...process.execArgv];
  const profileDir = process.env.BENCH_CPU_PROF;
  if (profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  const child: ChildProcess = fork(SELF, ['--role=server', JSON.stringify(spec)], {
    stdio: 'inherit',
    execArgv,
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: RunResult) => resolve(message));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${spec.peer} server exited with ${code}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Report

const f = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const perSecond = (r: RunResult) => r.stats.received / r.spec.seconds;
/** Server CPU per delivered event: what load on the machine moves least. */
const serverMicros = (r: RunResult) => ((r.cpuPercent / 100) * 1e6) / perSecond(r);

function line(name: string, r: RunResult): void {
  const expected = r.published * r.spec.clients;
  const s = r.stats;
  // What the rest of the machine used meanwhile (other processes): figures move with it.
  const others = r.machinePercent - r.cpuPercent - (Number.isFinite(s.cpuPercent) ? s.cpuPercent : 0);
  console.log(
    `${name.padEnd(22)} ${f(perSecond(r), 0).padStart(6)} ev/s  ` +
      `delivered ${f((s.received / expected) * 100, 2).padStart(6)} %  ` +
      `p50 ${f(s.p50).padStart(6)}  p99 ${f(s.p99).padStart(6)}  max ${f(s.max).padStart(6)} ms  ` +
      `rss ${f(r.rssReadyMb, 0)}->${f(r.rssMaxMb, 0)} MB  ` +
      `cpu server ${f(r.cpuPercent, 0)} % (${f(serverMicros(r), 1)} us/delivery) clients ${f(s.cpuPercent, 0)} % others ${f(others, 0)} %  ` +
      `(${f(s.bytesPerEvent, 0)} B/event, min/client ${s.minPerClient})`,
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function option(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

async function main(): Promise<void> {
  const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const clients = Number(positional[0] ?? 500);
  const rate = Number(positional[1] ?? 100);
  const seconds = Number(positional[2] ?? 10);
  const placementArg = option('placement') ?? 'child';
  const placements: Placement[] = placementArg === 'both' ? ['child', 'same'] : [placementArg as Placement];
  const rounds = Number(option('rounds') ?? 1);
  // Long enough to fill what the kernel buffers for a socket that is not read (about 4 MB on
  // loopback here: 10 s of the large subscription, 90 s of the same one), then the server's
  // bounded share (64 KiB and 1,000 events), then the cut-off.
  const slowMode = (option('slow') ?? 'large') as SlowMode;
  const slowSeconds = Number(option('slow-seconds') ?? (slowMode === 'same' ? 120 : 40));
  const only = option('only');
  const quiet = Number(option('quiet') ?? 0);
  const run = async (spec: RunSpec) => {
    await waitForQuiet(quiet);
    return runInProcess(spec);
  };
  console.log(
    `SSE fan-out: ${clients} subscribers, ${rate} events/s, ${seconds} s measured after ${WARMUP_S} s warm-up ` +
      `(offered ${clients * rate} deliveries/s); latency = receive time - intended publish time; ` +
      `cpu in % of one core (${cpus().length} cores)`,
  );
  for (const placement of placements) {
    console.log(`\nclients ${placement === 'child' ? 'in a child process' : 'in the server process'}:`);
    const base = { placement, clients, rate, seconds, slow: 'none' as SlowMode };
    const pairs: { bare: RunResult; kairos: RunResult }[] = [];
    for (let round = 1; round <= rounds && only !== 'slow'; round++) {
      const bare = await run({ ...base, peer: 'bare' });
      line(`bare node:http SSE${rounds > 1 ? ` #${round}` : ''}`, bare);
      const kairos = await run({ ...base, peer: 'kairos' });
      line(`kairos${rounds > 1 ? ` #${round}` : ''}`, kairos);
      pairs.push({ bare, kairos });
    }
    if (pairs.length > 0) {
      const ratio = median(pairs.map((p) => perSecond(p.kairos) / perSecond(p.bare)));
      const p99 = (peer: 'bare' | 'kairos') => median(pairs.map((p) => p[peer].stats.p99));
      const p50 = (peer: 'bare' | 'kairos') => median(pairs.map((p) => p[peer].stats.p50));
      const cost = median(pairs.map((p) => serverMicros(p.kairos) / serverMicros(p.bare)));
      console.log(
        `kairos/bare${rounds > 1 ? ` (median of ${rounds})` : ''}: delivered ${f(ratio * 100, 1)} % of bare; ` +
          `p50 ${f(p50('kairos'))} vs ${f(p50('bare'))} ms, p99 ${f(p99('kairos'))} vs ${f(p99('bare'))} ms ` +
          `(target: >= 95 %, p99 < 100 ms); server CPU per delivery ${f(cost, 2)}x bare`,
      );
      if (placement === 'child') {
        const workload = `${clients} SSE subscribers x ${rate} events/s`;
        compare('sse-fanout', [
          {
            workload: `${workload}, delivered`,
            kairos: `${f(perSecond(pairs[0]!.kairos) / clients, 0)} events/s each`,
            peer: 'bare SSE server',
            ratio: `${f(ratio * 100, 1)} %`,
            goal: '>= 95 %',
            met: ratio >= 0.95,
          },
          {
            workload: `${workload}, p99 latency`,
            kairos: `${f(p99('kairos'))} ms`,
            peer: `bare ${f(p99('bare'))} ms`,
            ratio: times(p99('kairos') / p99('bare')),
            goal: '< 100 ms',
            met: p99('kairos') < 100,
          },
          {
            workload: `${workload}, server CPU per delivery`,
            kairos: `${f(serverMicros(pairs[0]!.kairos), 1)} us`,
            peer: `bare ${f(serverMicros(pairs[0]!.bare), 1)} us`,
            ratio: times(cost),
            goal: '-',
            met: null,
          },
        ]);
      }
    }
    if (only === 'pairs') continue;
    // Back to back, the same run twice: once with the extra client reading (the control), once
    // with it stalled. The others' figures in the two runs are what to compare.
    const slowBase = { ...base, seconds: slowSeconds, peer: 'kairos' as const, slow: slowMode };
    const alone = await run({ ...slowBase, extraReads: true });
    line('kairos + 1 reading', alone);
    const slow = await run(slowBase);
    line('kairos + 1 slow client', slow);
    const cut = slow.slowCutAfterS === null ? 'never' : `after ${f(slow.slowCutAfterS)} s`;
    const tail = slow.stats.slow;
    console.log(
      `slow consumer (${slowMode === 'large' ? 'a 12x larger subscription' : 'the same subscription'}, never reads): ` +
        `cut off ${cut}; then it read ${f((tail?.bytes ?? 0) / 1024, 0)} KiB, ` +
        `SLOW_CONSUMER ${tail?.sawSlowConsumer ? 'seen' : 'not seen'}, stream ${tail?.ended ? 'ended' : 'open'}; ` +
        `the others: p50 ${f(slow.stats.p50)} / p99 ${f(slow.stats.p99)} ms vs ${f(alone.stats.p50)} / ${f(alone.stats.p99)} ms when it reads; ` +
        `server rss max ${f(slow.rssMaxMb, 0)} MB vs ${f(alone.rssMaxMb, 0)} MB, ${f(slow.rssEndMb, 0)} MB at the end`,
    );
  }
}

const role = option('role');
if (role === 'server') {
  const spec = JSON.parse(process.argv[3] as string) as RunSpec;
  const result = await serverRole(spec);
  process.send?.(result, () => process.exit(0));
} else if (role === 'clients') {
  await clientsRole(process.argv.slice(3));
} else {
  await main();
}
