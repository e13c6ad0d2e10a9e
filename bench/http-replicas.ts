/**
 * The webhook herd on several replicas (issue "The webhook task at scale"): replicas started like
 * `npm start` (child processes) on one Redis and one PostgreSQL, N `http` jobs every second all due
 * on the same whole second, POSTing to a counter in this process. Prints fires seen, missed,
 * duplicates, start lateness at the counter, how the fires split between the replicas, and each
 * replica's CPU per fire (from /proc). In the same run, with the replicas' parallelism (as many
 * processes, N / replicas jobs each; bench/http-peer.ts): the bare setTimeout + fetch loop and
 * BullMQ job schedulers whose workers make the same POST, then the ratios.
 *
 *   node bench/http-replicas.ts [jobs=2000] [replicas=2] [seconds=15] [peers=fetch,bullmq|none]
 *
 * KAIROS_* settings of this process go to the replicas, REPLICA_NODE_OPTIONS as their NODE_OPTIONS; DIAG=1 prints, per replica and second, when
 * the rows were inserted and the runs started.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import postgres from 'postgres';
import { type Fire, percentile, sleep, startCluster } from '../test/faults/support/cluster.ts';
import { upsertBullmqHerd, type WebhookSide, webhookGoals } from './http-goals.ts';
import { REDIS_URL } from './support.ts';

const JOBS = Number(process.argv[2] ?? 2000);
const REPLICAS = Number(process.argv[3] ?? 2);
const SECONDS = Number(process.argv[4] ?? 15);
const PEERS = (process.argv[5] ?? 'fetch,bullmq').split(',').filter((p) => p !== 'none');
const TICK_MS = 10; // USER_HZ on Linux

interface Side extends WebhookSide {
  name: string;
}

function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime
}

function judge(name: string, fires: Fire[], from: number, cpuMs: number): Side {
  const inWindow = fires.filter((f) => f.scheduledFor >= from && f.scheduledFor < from + SECONDS * 1000);
  const keys = new Set(inWindow.map((f) => `${f.jobId}@${f.scheduledFor}`));
  const lateness = inWindow.map((f) => f.at - f.scheduledFor);
  const side = {
    name,
    p99: percentile(lateness, 99),
    cpuMsPerFire: cpuMs / Math.max(1, inWindow.length),
    missed: JOBS * SECONDS - keys.size,
    duplicates: inWindow.length - keys.size,
  };
  console.log(
    `${name.padEnd(26)} fires ${inWindow.length}/${JOBS * SECONDS}, missed ${JOBS * SECONDS - keys.size}, ` +
      `duplicates ${inWindow.length - keys.size}, p50 ${percentile(lateness, 50)} ms, p99 ${side.p99} ms, ` +
      `max ${percentile(lateness, 100)} ms, CPU ${side.cpuMsPerFire.toFixed(3)} ms/fire`,
  );
  return side;
}

/** Runs one peer process per replica until the window's end; returns their CPU (ms) in the window. */
async function peerProcesses(mode: string, url: string, from: number, extra: string[] = []): Promise<number> {
  const share = Math.ceil(JOBS / REPLICAS);
  const until = String(from + SECONDS * 1000);
  const used = await Promise.all(
    Array.from({ length: REPLICAS }, (_, r) => {
      const args = [String(r * share), String(Math.min(share, JOBS - r * share)), String(from), until];
      const child = spawn(process.execPath, ['bench/http-peer.ts', mode, url, ...args, ...extra], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += String(chunk);
      });
      return new Promise<number>((resolve) => child.on('exit', () => resolve(Number(out.trim()))));
    }),
  );
  return used.reduce((a, b) => a + b, 0);
}

async function peer(mode: string, fires: Fire[], url: string): Promise<Side> {
  fires.length = 0;
  if (mode === 'fetch') {
    const from = Math.ceil(Date.now() / 1000) * 1000 + 5_000;
    const cpu = await peerProcesses('fetch', url, from);
    await sleep(1_500);
    return judge('bare setTimeout + fetch', fires, from, cpu);
  }
  const prefix = `bull-bench-${crypto.randomUUID().slice(0, 8)}`;
  const queue = new Queue('webhooks', { connection: { url: REDIS_URL }, prefix });
  const from = Math.ceil(Date.now() / 1000) * 1000 + 6_000;
  await upsertBullmqHerd(
    queue,
    Array.from({ length: JOBS }, (_, i) => `peer-${i}`),
    from - 3_000,
  );
  const cpu = await peerProcesses('bullmq', url, from, [prefix]);
  await sleep(1_500);
  const side = judge('bullmq job schedulers', fires, from, cpu);
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  return side;
}

// KAIROS_* settings of this process go to the replicas (KAIROS_HTTP_CONNECTIONS_PER_ORIGIN=...), and
// REPLICA_NODE_OPTIONS as their NODE_OPTIONS (a profile: "--cpu-prof --cpu-prof-dir=/tmp/prof").
const env = Object.fromEntries(
  Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('KAIROS_')),
);
if (process.env.REPLICA_NODE_OPTIONS) env.NODE_OPTIONS = process.env.REPLICA_NODE_OPTIONS;
const cluster = await startCluster({ label: 'bench_http_replicas', jobs: JOBS, env });
try {
  const fires = cluster.counter.fires;
  console.log(
    `${JOBS} http jobs x 1 s on ${REPLICAS} replicas for ${SECONDS} s (${new Date().toISOString()})`,
  );
  const peers: Side[] = [];
  for (const mode of PEERS) peers.push(await peer(mode, fires, cluster.counter.url));
  fires.length = 0;
  const names = Array.from({ length: REPLICAS }, (_, i) => `r${i + 1}`);
  for (const name of names) await cluster.start(name);
  await sleep(4_000);
  const from = Math.ceil(Date.now() / 1000) * 1000 + 1_000;
  await sleep(from - Date.now());
  const before = names.map((n) => cpuMs(cluster.replicas.get(n)?.pid));
  await sleep(SECONDS * 1000);
  const after = names.map((n) => cpuMs(cluster.replicas.get(n)?.pid));
  await sleep(2_000);
  await Promise.all([...cluster.replicas.values()].map((r) => r.stop('SIGTERM')));
  const used = names.map((_, i) => (after[i] as number) - (before[i] as number));
  const ours = judge(
    `kairos, ${REPLICAS} replicas`,
    fires,
    from,
    used.reduce((a, b) => a + b, 0),
  );
  const rows = await cluster.history();
  const to = from + SECONDS * 1000;
  const instanceOf = new Map(rows.map((r) => [r.id, r.instance]));
  const split: Record<string, number> = {};
  for (const fire of fires)
    if (fire.scheduledFor >= from && fire.scheduledFor < to) {
      const name = instanceOf.get(fire.executionId) ?? '?';
      split[name] = (split[name] ?? 0) + 1;
    }
  const statuses: Record<string, number> = {};
  for (const row of rows)
    if (row.scheduled_for >= from && row.scheduled_for < to)
      statuses[row.status] = (statuses[row.status] ?? 0) + 1;
  console.log(
    `  history of the window: ${JSON.stringify(statuses)}; fires by replica: ${JSON.stringify(split)}`,
  );
  names.forEach((name, i) => {
    console.log(
      `  ${name}: CPU ${used[i]} ms, ${((used[i] as number) / Math.max(1, split[name] ?? 0)).toFixed(3)} ms per fire it ran`,
    );
  });
  if (process.env.DIAG) await herds(cluster.databaseUrl, from, to);
  const bare = peers.find((side) => side.name.startsWith('bare'));
  const bullmq = peers.find((side) => side.name.startsWith('bullmq'));
  webhookGoals('http-replicas', `${JOBS} http jobs x 1 s on ${REPLICAS} replicas`, ours, { bare, bullmq });
} finally {
  await cluster.close();
}

/** Per replica and second of the window: when its rows were inserted and its runs started. */
async function herds(url: string, from: number, to: number): Promise<void> {
  const db = postgres(url, { max: 1, onnotice: () => {} });
  const rows = await db`
    select instance, (extract(epoch from scheduled_for) * 1000)::float8 - ${from} as at, count(*)::int as n,
      count(*) filter (where status = 'skipped')::int as skipped,
      min(extract(epoch from created_at - scheduled_for) * 1000)::int as ins_min,
      max(extract(epoch from created_at - scheduled_for) * 1000)::int as ins_max,
      max(extract(epoch from started_at - scheduled_for) * 1000)::int as start_max,
      max(extract(epoch from finished_at - started_at) * 1000)::int as took_max
    from job_executions
    where scheduled_for >= to_timestamp(${from / 1000}) and scheduled_for < to_timestamp(${to / 1000})
    group by 1, 2 order by 2, 1`;
  await db.end();
  for (const h of rows)
    console.log(
      `  ${h.instance} +${h.at} ms: ${h.n} rows (${h.skipped} skipped), inserted ${h.ins_min}..${h.ins_max} ms, ` +
        `started by ${h.start_max} ms, longest run ${h.took_max} ms`,
    );
}
