/**
 * `npm run bench`: every benchmark in bench/, one after the other, each printing Kairos and its
 * peer measured in the same run and their ratio. The default is short (about 5 minutes in all:
 * fewer jobs, seconds and rounds, to see where things stand); `--long` runs the sizes the README's
 * figures come from. Names pick some: `npm run bench -- jobs-query startup --long`.
 * Needs Redis and PostgreSQL on 127.0.0.1 for the scheduler and history benches (REDIS_URL,
 * DATABASE_URL); a bench that fails is reported and the others still run.
 * Benches that call report() (bench/support.ts) append a JSON line each to a file this sets in
 * KAIROS_BENCH_RESULTS; at the end all lines, with the run's mode, date and machine, go to
 * artifacts/bench/latest.json (gitignored).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { type Comparison, metText, printTable } from './support.ts';

interface Bench {
  name: string;
  /** What it compares. */
  what: string;
  short: string[];
  long: string[];
}

const BENCHES: Bench[] = [
  {
    name: 'startup',
    what: 'start to first answer, idle RSS vs bare node:http',
    short: ['3', '3'],
    long: ['5', '10'],
  },
  {
    name: 'jobs-query',
    what: 'jobs(first: 100), 50 clients vs bare node:http',
    short: ['4', '1'],
    long: ['8', '3'],
  },
  {
    name: 'graphql-plugins',
    what: 'GraphQL plugin cost per page',
    short: ['30', '1'],
    long: ['100', '3'],
  },
  {
    name: 'fire-lateness',
    what: '1,000 jobs every second vs a bare timer loop',
    short: ['1000', '8'],
    long: ['1000', '20'],
  },
  {
    name: 'burst',
    what: 'burst of due fires vs BullMQ and pg-boss draining as many jobs, and batched writes alone',
    short: ['10000'],
    long: ['50000'],
  },
  { name: 'execution-log-insert', what: 'batched vs one-row inserts', short: [], long: [] },
  {
    name: 'http-fires',
    what: 'http task fires vs a bare HTTP client',
    short: ['1000', '8'],
    long: ['1000', '20'],
  },
  {
    name: 'http-replicas',
    what: 'webhook herd on 2 replicas vs bare fetch and BullMQ, as many processes',
    short: ['1000', '2', '8'],
    long: ['2000', '2', '15'],
  },
  {
    name: 'sse-fanout',
    what: 'SSE fan-out vs a bare SSE server',
    short: ['200', '100', '5'],
    long: ['500', '100', '10'],
  },
  {
    name: 'churn',
    what: 'add/update/remove, 50 in flight, vs BullMQ job schedulers',
    short: ['5000', '1'],
    long: ['20000', '3'],
  },
  {
    name: 'scale',
    what: 'claim round, bytes per job, replica RSS at 1,000 vs 1,000,000 jobs',
    short: ['100000', '5'],
    long: ['1000000', '10'],
  },
  {
    name: 'cron-libs',
    what: 'node-cron vs croner: 1,000 jobs every second, and the cron/DST corpus',
    short: ['1000', '5'],
    long: ['1000', '20'],
  },
  {
    name: 'subscriber-load',
    what: 'operator latency under subscriber load',
    short: ['100', '1900', '5'],
    long: ['250', '1900', '10'],
  },
];

const args = process.argv.slice(2);
const long = args.includes('--long');
const wanted = args.filter((arg) => !arg.startsWith('--'));
const unknown = wanted.filter((name) => !BENCHES.some((b) => b.name === name));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

/** A bench still running after this is stopped and reported, so one that hangs cannot stall the rest. */
const LIMIT_MS = (long ? 20 : 5) * 60_000;

// artifacts/ is gitignored and outside what Biome checks.
const resultsDir = new URL('../artifacts/bench/', import.meta.url);
mkdirSync(resultsDir, { recursive: true });
const lines = new URL(`./run-${process.pid}.jsonl`, resultsDir);
rmSync(lines, { force: true });

/** Runs a bench, its output passed through and kept: a bench without report() is in the JSON as its printed lines. */
function run(bench: Bench): Promise<{ code: number | string; output: string }> {
  const child = spawn(process.execPath, [`bench/${bench.name}.ts`, ...(long ? bench.long : bench.short)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, KAIROS_BENCH_RESULTS: lines.pathname },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    output += chunk.toString();
  });
  const limit = setTimeout(() => child.kill('SIGTERM'), LIMIT_MS);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(limit);
      const done = () => resolve({ code: code ?? `${signal} after ${LIMIT_MS / 60_000} min`, output });
      // The last output may still be in the pipe; a server the bench left running may hold it open.
      const wait = setTimeout(done, 1_000);
      child.stdout.once('close', () => {
        clearTimeout(wait);
        done();
      });
    }),
  );
}

const summary: string[] = [];
const outcomes: { name: string; args: string[]; ok: boolean; seconds: number; output: string[] }[] = [];
for (const bench of BENCHES.filter((b) => wanted.length === 0 || wanted.includes(b.name))) {
  const argv = (long ? bench.long : bench.short).join(' ');
  console.log(`\n=== ${bench.name} ${argv} (${bench.what})`);
  const began = performance.now();
  const { code, output } = await run(bench);
  const seconds = ((performance.now() - began) / 1000).toFixed(0);
  summary.push(`${bench.name.padEnd(22)} ${code === 0 ? 'ok    ' : `FAILED (${code})`} ${seconds} s`);
  outcomes.push({
    name: bench.name,
    args: long ? bench.long : bench.short,
    ok: code === 0,
    seconds: Number(seconds),
    output: output.split('\n').filter((line) => line.trim() !== ''),
  });
}
console.log(`\n=== ${long ? 'long' : 'short'} run, ${new Date().toISOString()}, node ${process.version}`);
for (const line of summary) console.log(line);
let results: unknown[] = [];
try {
  results = readFileSync(lines, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
} catch {
  // No bench reported figures (none of them calls report(), or all failed first).
}
rmSync(lines, { force: true });
// Every bench's comparisons in one table: the README's benchmark table is this, pasted.
const table = results.flatMap((line) => {
  const { bench, table: rows } = line as { bench: string; table?: Comparison[] };
  return (rows ?? []).map((row) => ({ bench, ...row }));
});
if (table.length > 0) {
  console.log('\nKairos and its peers, each pair measured in the same run:');
  printTable(
    ['bench', 'workload', 'kairos', 'peer', 'ratio', 'goal', 'met'],
    table.map((r) => [r.bench, r.workload, r.kairos, r.peer, r.ratio, r.goal, metText(r.met)]),
  );
}
const latest = new URL('./latest.json', resultsDir);
const machine = {
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  memoryBytes: os.totalmem(),
  loadavg: os.loadavg(),
};
writeFileSync(
  latest,
  `${JSON.stringify({ mode: long ? 'long' : 'short', at: new Date().toISOString(), node: process.version, machine, benches: outcomes, results }, null, 2)}\n`,
);
console.log(`results: ${latest.pathname}`);
process.exitCode = summary.some((line) => line.includes('FAILED')) ? 1 : 0;
