/**
 * The accounting invariant as a check: every nominal fire of a job has exactly one terminal record
 * (its own row, or a covering record whose range holds it and whose count matches), no record
 * covers a time that is not a nominal fire, and every retry chain is whole.
 */
import type { Execution } from '../../src/core/execution.ts';
import type { Job } from '../../src/core/job.ts';
import type { Trigger } from '../../src/core/trigger.ts';
import { nextFireTime } from '../../src/core/triggers/next-fire.ts';

const FINAL = new Set(['success', 'failed', 'timed_out', 'missed', 'skipped', 'abandoned', 'cancelled']);

/** Nominal fires from `first` (a fire) while < `until`. */
export function nominalFires(trigger: Trigger, first: number | null, until: number | null): number[] {
  const fires: number[] = [];
  for (let t = first; t !== null && (until === null || t < until); t = nextFireTime(trigger, t))
    fires.push(t);
  return fires;
}

/**
 * Problems with the scheduled-fire records of one job (manual runs are outside the schedule).
 * `first` is the job's first nextRunTime; `until` its nextRunTime now (fires before it are owed).
 */
export function accountingProblems(
  job: Job,
  first: number | null,
  until: number | null,
  rows: Execution[],
): string[] {
  const problems: string[] = [];
  const fires = nominalFires(job.trigger, first, until);
  const index = new Map(fires.map((t, i) => [t, i]));
  const covered = new Array<number>(fires.length).fill(0);
  const scheduled = rows.filter(
    (r) => r.jobId === job.id && r.triggerKind === 'scheduled' && r.attempt === 1,
  );
  for (const row of scheduled) {
    // A fire at or past `until` may be claimed ahead: recorded running before it is due.
    if (!FINAL.has(row.status) && (until === null || row.scheduledFor < until))
      problems.push(`${job.id}@${row.scheduledFor}: left ${row.status}`);
    const from = index.get(row.scheduledFor);
    if (from === undefined) {
      // A fire past `until` may be recorded already (claimed ahead); anything else is foreign.
      if (until === null || row.scheduledFor < until)
        problems.push(`${job.id}@${row.scheduledFor}: not a nominal fire`);
      continue;
    }
    const last = row.coversUntil === null ? from : index.get(row.coversUntil);
    if (last === undefined) {
      problems.push(
        `${job.id}@${row.scheduledFor}: covers up to ${row.coversUntil}, not a nominal fire before ${until}`,
      );
      continue;
    }
    if (last - from + 1 !== row.coveredFires)
      problems.push(
        `${job.id}@${row.scheduledFor}: coveredFires ${row.coveredFires}, range holds ${last - from + 1}`,
      );
    for (let i = from; i <= last; i++) covered[i] = (covered[i] ?? 0) + 1;
  }
  covered.forEach((n, i) => {
    if (n !== 1) problems.push(`${job.id}@${fires[i]}: ${n} terminal records`);
  });
  return problems;
}

/** Every attempt n > 1 follows a failed attempt n - 1 of the same fire; no attempt twice. */
export function retryChainProblems(rows: Execution[]): string[] {
  const problems: string[] = [];
  const byFire = new Map<string, Execution[]>();
  for (const row of rows) {
    const key = `${row.jobId}@${row.scheduledFor}`;
    byFire.set(key, [...(byFire.get(key) ?? []), row]);
  }
  for (const [key, chain] of byFire) {
    chain.sort((a, b) => a.attempt - b.attempt);
    chain.forEach((row, i) => {
      if (row.attempt !== i + 1 && row.coveredFires === 1)
        problems.push(`${key}: attempt ${row.attempt} at position ${i + 1}`);
      if (i > 0 && !['failed', 'timed_out'].includes((chain[i - 1] as Execution).status))
        problems.push(`${key}: attempt ${row.attempt} after a ${(chain[i - 1] as Execution).status} attempt`);
    });
  }
  return problems;
}
