/**
 * The fault scenarios, shared by the CI suite (short) and `npm run bench:faults` (long): each runs
 * against a started cluster and returns what was measured; the caller asserts or prints it.
 */
import { type Accounting, account, type Cluster, type HistoryRow, percentile, sleep } from './cluster.ts';

export interface KillResult {
  accounting: Accounting;
  /** Running rows of the killed replica 10 s after the kill. */
  runningOfDeadAfter10s: number;
  /** Start lateness p99 (counter arrival - scheduled) of the fires the survivors ran. */
  survivorLatenessP99Ms: number;
  /** Kill -> the last job's first successful fire scheduled after the kill. */
  failoverMs: number;
}

/** 3 replicas; the third is SIGKILLed after `beforeMs`; the run goes on `afterMs` (>= 10 s). */
export async function runKillScenario(
  cluster: Cluster,
  options: { beforeMs: number; afterMs: number },
): Promise<KillResult> {
  await cluster.start('a');
  await cluster.start('b');
  const victim = await cluster.start('c');
  const from = Date.now() + 1_000;
  await sleep(options.beforeMs);
  const killedAt = Date.now();
  victim.signal('SIGKILL');
  await victim.exited;
  cluster.replicas.delete('c');
  await sleep(10_000);
  const running = (await cluster.history()).filter(
    (r) => r.instance === 'c' && (r.status === 'running' || r.status === 'pending'),
  ).length;
  await sleep(Math.max(0, options.afterMs - 10_000));
  const end = Date.now();
  await Promise.all([...cluster.replicas.values()].map((r) => r.stop('SIGTERM')));
  const rows = await cluster.history();
  const to = end - 2_000;
  return {
    accounting: account(rows, cluster.counter.fires, cluster.jobIds, from, to),
    runningOfDeadAfter10s: running,
    survivorLatenessP99Ms: survivorLateness(rows, cluster, from, to, 'c'),
    failoverMs: failover(rows, cluster.jobIds, killedAt),
  };
}

function survivorLateness(
  rows: HistoryRow[],
  cluster: Cluster,
  from: number,
  to: number,
  dead: string,
): number {
  const instanceOf = new Map(rows.map((r) => [r.id, r.instance]));
  const lateness = cluster.counter.fires
    .filter((f) => f.scheduledFor >= from && f.scheduledFor < to && instanceOf.get(f.executionId) !== dead)
    .map((f) => f.at - f.scheduledFor);
  return percentile(lateness, 99);
}

function failover(rows: HistoryRow[], jobIds: string[], since: number): number {
  let worst = 0;
  for (const jobId of jobIds) {
    const next = rows.find((r) => r.job_id === jobId && r.scheduled_for > since && r.status === 'success');
    worst = Math.max(worst, next ? next.scheduled_for - since : Number.POSITIVE_INFINITY);
  }
  return worst;
}

/** One line for logs and the bench: the measured figures of a scenario. */
export function summary(result: KillResult): string {
  const worst = Math.max(0, ...result.accounting.notRun.values());
  return [
    `failover ${result.failoverMs} ms`,
    `duplicates ${result.accounting.duplicates}`,
    `records ${JSON.stringify(result.accounting.byStatus)}`,
    `unaccounted ${result.accounting.problems.length}`,
    `worst job lost ${worst} fires`,
    `dead's open rows after 10 s ${result.runningOfDeadAfter10s}`,
    `survivors p99 lateness ${result.survivorLatenessP99Ms} ms`,
  ].join(', ');
}
