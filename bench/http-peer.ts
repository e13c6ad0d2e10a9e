/**
 * One process of a peer for bench/http-replicas.ts, so the peers run with the replicas'
 * parallelism: `fetch` is the bare setTimeout + fetch loop over jobs [first, first + count), due on
 * each whole second from `from`; `bullmq` is a BullMQ worker (concurrency `count`) of the queue the
 * parent filled with job schedulers, making the same POST. Runs until `until`, then prints the CPU
 * (user + system, ms) it used from `from` on.
 *
 *   node bench/http-peer.ts fetch|bullmq <url> <first> <count> <from> <until> [bullmq prefix]
 */
import { Worker } from 'bullmq';
import { REDIS_URL } from './support.ts';

const [mode, url = '', first = '0', count = '0', fromArg = '0', untilArg = '0', prefix = ''] =
  process.argv.slice(2);
const from = Number(fromArg);
const until = Number(untilArg);
const jobs = Array.from({ length: Number(count) }, (_, i) => `peer-${Number(first) + i}`);

function post(job: string, scheduledFor: number): Promise<void> {
  return fetch(url, {
    method: 'POST',
    headers: { 'x-kairos-job-id': job, 'x-kairos-scheduled-for': new Date(scheduledFor).toISOString() },
    body: job,
  }).then((response) => void response.text());
}

async function cpuFrom(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, from - Date.now())));
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

if (mode === 'fetch') {
  const cpu = cpuFrom();
  // Warm up from 3 s before the window, like the Kairos replicas, which run before it.
  let slot = from - 3_000;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = Date.now();
      if (now < slot) return void setTimeout(tick, slot - now);
      for (const job of jobs) post(job, slot).catch(() => {});
      slot += 1000;
      if (slot >= until) resolve();
      else setTimeout(tick, Math.max(0, slot - Date.now()));
    };
    tick();
  });
  console.log(String(await cpu));
} else if (mode === 'bullmq') {
  const worker = new Worker(
    'webhooks',
    // A scheduler's job is due at its creation time plus its delay.
    (job) => post(job.data.id, job.timestamp + (job.opts.delay ?? 0)),
    { connection: { url: REDIS_URL }, prefix, concurrency: Number(count) },
  );
  const cpu = await cpuFrom();
  await worker.close();
  console.log(String(cpu));
} else {
  throw new Error(`unknown peer mode ${mode}`);
}
