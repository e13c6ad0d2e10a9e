/**
 * Start to first answer and idle memory of the real service on embedded defaults (memory job
 * store, PGlite on disk), on each runtime, next to a bare HTTP server started the same way on the
 * same runtime (the runtime's own floor). The data directory exists already (one start is made,
 * until ready, before timing), as after any start but the very first. "First answer" is a 200 to
 * `{ __typename }` on /graphql; "ready" is /readyz 200 (history open, scheduler running), which
 * comes later since the API answers while the history opens; idle memory is the process's
 * resident set (VmRSS) a few seconds after ready. Prints medians of the runs. Not a test: figures
 * vary with the machine.
 *
 *   node bench/startup.ts [runs=3] [idleSeconds=3] [runtimes=node,bun,deno]
 *   KAIROS_NODE_COMMAND='node --import tsx' node bench/startup.ts   (another way to start Node)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Comparison, compare, median, printTable, times } from './support.ts';

const RUNS = Number(process.argv[2] ?? 3);
const IDLE_SECONDS = Number(process.argv[3] ?? 3);
const RUNTIMES = (process.argv[4] ?? 'node,bun,deno').split(',') as Runtime[];

type Runtime = 'node' | 'bun' | 'deno';

/** How each runtime is started: what `npm start`, `start:bun` and `start:deno` run. */
function command(runtime: Runtime, entry: string): string[] {
  if (runtime === 'node')
    return [...(process.env.KAIROS_NODE_COMMAND?.split(' ') ?? [process.execPath]), entry];
  if (runtime === 'bun') return ['node_modules/.bin/bun', entry];
  return [
    'node_modules/.bin/deno',
    'run',
    '--unstable-no-legacy-abort',
    '--allow-net',
    '--allow-env',
    '--allow-read',
    '--allow-write',
    entry,
  ];
}

const ENTRIES: Record<Runtime, string> = {
  node: 'src/runtime/node.ts',
  bun: 'src/runtime/bun.ts',
  deno: 'src/runtime/deno.ts',
};

/** The peer: node:http on every runtime (all three serve it), answering the same body. */
const BARE_SERVER = `import { createServer } from 'node:http';
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"data":{"__typename":"Query"}}');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    return response.status === 200 && ((await response.json()) as { data?: unknown }).data !== undefined;
  } catch {
    return false;
  }
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function isReady(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).status === 200;
  } catch {
    return false;
  }
}

interface Sample {
  startMs: number;
  readyMs: number;
  rssMb: number;
}

/**
 * One start: spawn, poll every 10 ms until it answers, then until ready (the Kairos service only),
 * wait idle, read its memory, stop it.
 */
async function startOnce(
  argv: string[],
  env: Record<string, string>,
  { idle, kairos }: { idle: boolean; kairos: boolean },
): Promise<Sample> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const readyUrl = `http://127.0.0.1:${port}/readyz`;
  const [bin, ...args] = argv as [string, ...string[]];
  const began = performance.now();
  const child: ChildProcess = spawn(bin, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = began + 60_000;
    const poll = async (done: () => Promise<boolean>, what: string): Promise<number> => {
      while (!(await done())) {
        if (child.exitCode !== null || performance.now() > deadline) {
          throw new Error(`${argv.join(' ')} did not ${what}:\n${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return performance.now() - began;
    };
    const startMs = await poll(() => answers(url), 'answer');
    const readyMs = kairos ? await poll(() => isReady(readyUrl), 'get ready') : startMs;
    if (idle) await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    return { startMs, readyMs, rssMb: rssMb(child.pid as number) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kairos-startup-'));
  const bare = join(work, 'bare.ts');
  await writeFile(bare, BARE_SERVER);
  const rows: string[][] = [];
  const comparisons: Comparison[] = [];
  try {
    for (const runtime of RUNTIMES) {
      const kairos = command(runtime, ENTRIES[runtime]);
      if (!existsSync(kairos[0] as string)) continue;
      const env = { KAIROS_DATA_DIR: join(work, `data-${runtime}`), KAIROS_LOG_LEVEL: 'warn' };
      // Creates the data directory (initdb), not timed; until ready, so that it is complete.
      await startOnce(kairos, env, { idle: false, kairos: true });
      const samples: Sample[] = [];
      const peers: Sample[] = [];
      // Alternated, so a noisy neighbour hits both alike.
      for (let i = 0; i < RUNS; i++) {
        samples.push(await startOnce(kairos, env, { idle: true, kairos: true }));
        peers.push(await startOnce(command(runtime, bare), {}, { idle: true, kairos: false }));
      }
      const start = median(samples.map((s) => s.startMs));
      const peerStart = median(peers.map((s) => s.startMs));
      rows.push([
        runtime,
        `${start.toFixed(0)} ms`,
        `${peerStart.toFixed(0)} ms`,
        `${(start / peerStart).toFixed(1)}×`,
        `${median(samples.map((s) => s.readyMs)).toFixed(0)} ms`,
        `${median(samples.map((s) => s.rssMb)).toFixed(0)} MB`,
        `${median(peers.map((s) => s.rssMb)).toFixed(0)} MB`,
      ]);
      const goalMs = runtime === 'node' ? 1_000 : 700;
      const rss = median(samples.map((s) => s.rssMb));
      comparisons.push(
        {
          workload: `start to first answer, ${runtime}, existing data dir`,
          kairos: `${start.toFixed(0)} ms`,
          peer: `bare server ${peerStart.toFixed(0)} ms`,
          ratio: times(start / peerStart, 1),
          goal: `<= ${goalMs} ms`,
          met: start <= goalMs,
        },
        {
          workload: `idle RSS, ${runtime}, embedded defaults`,
          kairos: `${rss.toFixed(0)} MB`,
          peer: `bare server ${median(peers.map((s) => s.rssMb)).toFixed(0)} MB`,
          ratio: times(rss / median(peers.map((s) => s.rssMb)), 1),
          goal: '<= 250 MB',
          met: rss <= 250,
        },
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  console.log(`start to first answer, to ready, and idle RSS (${IDLE_SECONDS} s after), medians of ${RUNS}`);
  printTable(
    ['runtime', 'Kairos', 'bare node:http', 'ratio', 'Kairos ready', 'Kairos RSS', 'bare RSS'],
    rows,
  );
  compare('startup', comparisons);
}

await main();
