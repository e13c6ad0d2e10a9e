/**
 * What one claimed job decides for its fires up to the horizon: its rows (run, missed, excluded,
 * covered) and the schedule to commit; or, when its trigger cannot be planned, why it must be
 * quarantined. A decision carried from an earlier round (rows that may be stored already) is
 * taken again as it was. Pure: the fire pipeline (fire-pipeline.ts) records and commits it.
 */
import type { Execution } from '../execution.ts';
import { planFires } from '../fire-plan.ts';
import type { Job } from '../job.ts';
import type { Claim, CommitRequest } from '../ports.ts';
import { coveringRow, notRunRow, type RowContext, runRow } from './execution-rows.ts';

/** A decision an earlier round made for a job but could not finish (see FirePipeline.carried). */
export interface Carried {
  /** The nextRunTime the store still holds for the job. */
  from: number | null;
  /** Rows decided from `from` that may be stored already, and the runs among them. */
  rows: Execution[];
  runs: Execution[];
  /** The schedule after them. */
  nextRunTime: number | null;
  dueAt: number | null;
  runCount: number | undefined;
}

export interface Decided {
  claim: Claim;
  /** The job as planned (its schedule moved on by a carried decision). */
  job: Job;
  rows: Execution[];
  runs: Execution[];
  commit: CommitRequest;
}

export function decideClaim(
  claim: Claim,
  memo: Carried | null,
  horizon: number,
  ctx: RowContext,
): Decided | { quarantine: string; job: Job } {
  if (memo && memo.rows.length > 0) {
    // Rows that may or may not be stored are written again as they were, and nothing more is
    // decided until they are: during an outage of the log, a job's decisions never pile up
    // (a run per round that all start when it returns); once they are stored, the fires due
    // meanwhile are planned at once, by the misfire and coalescing rules.
    return {
      claim,
      job: claim.job,
      rows: [...memo.rows],
      runs: [...memo.runs],
      commit: {
        jobId: claim.job.id,
        token: claim.token,
        claimedNextRunTime: claim.job.nextRunTime,
        nextRunTime: memo.nextRunTime,
        dueAt: memo.dueAt,
        runCount: memo.runCount,
      },
    };
  }
  const job = memo
    ? {
        ...claim.job,
        nextRunTime: memo.nextRunTime,
        dueAt: memo.dueAt,
        runCount: memo.runCount ?? claim.job.runCount,
      }
    : claim.job;
  let plan: ReturnType<typeof planFires>;
  try {
    plan = planFires(job, ctx.now, horizon);
  } catch (error) {
    const reason = `its trigger could not be planned: ${error instanceof Error ? error.message : String(error)}`;
    return { quarantine: reason, job };
  }
  const rows: Execution[] = [];
  const runs: Execution[] = [];
  const runAt = plan.fires.find((fire) => fire.decision === 'run')?.scheduledFor ?? null;
  for (const range of plan.covered) rows.push(coveringRow(job, range, runAt, ctx));
  for (const fire of plan.fires) {
    if (fire.decision === 'excluded') {
      rows.push(notRunRow(job, fire.scheduledFor, 'skipped', fire.reason ?? 'excluded', 'scheduled', 1, ctx));
    } else if (fire.decision === 'missed') {
      const late = ctx.now - fire.dueAt;
      rows.push(notRunRow(job, fire.scheduledFor, 'missed', lateMessage(late, job), 'scheduled', 1, ctx));
    } else {
      const execution = runRow(job, fire, 'scheduled', 1, ctx);
      rows.push(execution);
      runs.push(execution);
    }
  }
  return {
    claim,
    job,
    rows,
    runs,
    commit: {
      jobId: job.id,
      token: claim.token,
      claimedNextRunTime: claim.job.nextRunTime,
      nextRunTime: plan.nextRunTime,
      dueAt: plan.dueAt,
      runCount: plan.runCount,
    },
  };
}

function lateMessage(lateMs: number, job: Job): string {
  return `missed: due ${lateMs} ms ago, past the misfire grace time of ${job.misfireGraceTimeMs} ms`;
}
