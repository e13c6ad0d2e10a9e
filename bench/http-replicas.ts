/**
 * The webhook herd on several replicas (issue "The webhook task at scale"): replicas started like
 * `npm start` (child processes) on one Redis and one PostgreSQL, N `http` jobs every second all due
 * on the same whole second, POSTing to a counter in this process. Prints fires seen, missed,
 * duplicates, start lateness at the counter, how the fires split between the replicas, and each
 * replica's CPU per fire (from /proc).
 *
 *   npx tsx bench/http-replicas.ts [jobs=2000] [replicas=2] [seconds=15]
 */
import { readFileSync } from 'node:fs';
import { percentile, sleep, startCluster } from '../test/faults/support/cluster.ts';

const JOBS = Number(process.argv[2] ?? 2000);
const REPLICAS = Number(process.argv[3] ?? 2);
const SECONDS = Number(process.argv[4] ?? 15);
const TICK_MS = 10; // USER_HZ on Linux

function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime
}

const cluster = await startCluster({ label: 'bench_http_replicas', jobs: JOBS });
try {
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
  const rows = await cluster.history();
  const to = from + SECONDS * 1000;
  const fires = cluster.counter.fires.filter((f) => f.scheduledFor >= from && f.scheduledFor < to);
  const keys = new Set(fires.map((f) => `${f.jobId}@${f.scheduledFor}`));
  const instanceOf = new Map(rows.map((r) => [r.id, r.instance]));
  const split: Record<string, number> = {};
  for (const fire of fires) {
    const name = instanceOf.get(fire.executionId) ?? '?';
    split[name] = (split[name] ?? 0) + 1;
  }
  const statuses: Record<string, number> = {};
  for (const row of rows)
    if (row.scheduled_for >= from && row.scheduled_for < to)
      statuses[row.status] = (statuses[row.status] ?? 0) + 1;
  const lateness = fires.map((f) => f.at - f.scheduledFor);
  console.log(
    `${JOBS} http jobs x 1 s on ${REPLICAS} replicas for ${SECONDS} s (${new Date().toISOString()}): ` +
      `fires ${fires.length}/${JOBS * SECONDS}, missed ${JOBS * SECONDS - keys.size}, duplicates ${fires.length - keys.size}, ` +
      `p50 ${percentile(lateness, 50)} ms, p99 ${percentile(lateness, 99)} ms, max ${percentile(lateness, 100)} ms`,
  );
  console.log(
    `  history of the window: ${JSON.stringify(statuses)}; fires by replica: ${JSON.stringify(split)}`,
  );
  names.forEach((name, i) => {
    const used = (after[i] as number) - (before[i] as number);
    console.log(
      `  ${name}: CPU ${used} ms, ${(used / Math.max(1, split[name] ?? 0)).toFixed(3)} ms per fire it ran`,
    );
  });
} finally {
  await cluster.close();
}
