/**
 * The goals of issue "The webhook task at scale" as rows of `npm run bench`'s table, shared by
 * bench/http-fires.ts and bench/http-replicas.ts: 0 missed and 0 duplicates, p99 start lateness at
 * most 2x the bare fetch loop's and at most a third of BullMQ's, CPU per fire at most 1.5x the bare
 * loop's request. The bare undici loop is the floor of Kairos's client; it has no goal.
 */
import type { Queue } from 'bullmq';
import { type Comparison, compare, times } from './support.ts';

export interface WebhookSide {
  p99: number;
  cpuMsPerFire: number;
  missed: number;
  duplicates: number;
}

export function webhookGoals(
  bench: string,
  workload: string,
  ours: WebhookSide,
  peers: { bare?: WebhookSide | null; undici?: WebhookSide | null; bullmq?: WebhookSide | null },
): void {
  const ms = (side: WebhookSide) => `${side.p99} ms`;
  const cpu = (side: WebhookSide) => `${side.cpuMsPerFire.toFixed(3)} ms`;
  const rows: Comparison[] = [];
  rows.push({
    workload: `${workload}: missed + duplicates`,
    kairos: String(ours.missed + ours.duplicates),
    peer: '-',
    ratio: '-',
    goal: '0',
    met: ours.missed + ours.duplicates === 0,
  });
  const ratio = (a: number, b: number) => a / Math.max(1e-9, b);
  const { bare, undici, bullmq } = peers;
  if (bare) {
    const p99 = ratio(ours.p99, Math.max(1, bare.p99));
    rows.push({
      workload: `${workload}: p99 start lateness`,
      kairos: ms(ours),
      peer: `bare fetch ${ms(bare)}`,
      ratio: times(p99),
      goal: '<= 2x',
      met: p99 <= 2,
    });
    const perFire = ratio(ours.cpuMsPerFire, bare.cpuMsPerFire);
    rows.push({
      workload: `${workload}: CPU per fire`,
      kairos: cpu(ours),
      peer: `bare fetch ${cpu(bare)}`,
      ratio: times(perFire),
      goal: '<= 1.5x',
      met: perFire <= 1.5,
    });
  }
  if (undici) {
    const p99 = ratio(ours.p99, Math.max(1, undici.p99));
    rows.push({
      workload: `${workload}: p99 start lateness`,
      kairos: ms(ours),
      peer: `bare undici ${ms(undici)}`,
      ratio: times(p99),
      goal: '-',
      met: null,
    });
  }
  if (bullmq) {
    const p99 = ratio(ours.p99, Math.max(1, bullmq.p99));
    rows.push({
      workload: `${workload}: p99 start lateness`,
      kairos: ms(ours),
      peer: `BullMQ ${ms(bullmq)}`,
      ratio: times(p99),
      goal: '<= 0.33x',
      met: p99 <= 1 / 3,
    });
  }
  compare(bench, rows);
}

/**
 * BullMQ job schedulers every second whose fires fall on the same whole seconds as Kairos's cron
 * jobs, from `firstAt` on. Without a startDate an `every` scheduler's first fire is its upsert
 * time and every later one keeps that phase, so a loop of upserts spread the peer's fires over
 * the second: not the herd Kairos is measured on. `every` rather than a cron pattern: the same
 * fires by BullMQ's cheaper path.
 */
export async function upsertBullmqHerd(queue: Queue, ids: string[], firstAt: number): Promise<void> {
  for (let i = 0; i < ids.length; i += 100)
    await Promise.all(
      ids
        .slice(i, i + 100)
        .map((id) =>
          queue.upsertJobScheduler(id, { every: 1_000, startDate: firstAt }, { name: 'post', data: { id } }),
        ),
    );
  if (Date.now() >= firstAt)
    throw new Error(`bullmq: ${ids.length} schedulers took past their first fire; give them more time`);
}
