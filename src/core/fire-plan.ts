/**
 * What to do with a claimed job: which fires run, which are recorded as missed, which a covering
 * record accounts for, and where the schedule goes next. Pure: the same claim, `now` and horizon
 * always give the same plan. Every nominal fire up to the new nextRunTime is in exactly one of
 * `fires` or `covered` (the accounting invariant, docs/design.md).
 */

import { exclusionAt } from './exclusions.ts';
import type { Job } from './job.ts';
import { dueAtFor } from './job-factory.ts';
import { intervalPeriodMs } from './triggers/interval.ts';
import { nextFireTime } from './triggers/next-fire.ts';

export interface PlannedFire {
  /** Nominal fire time: the row's scheduled_for. */
  scheduledFor: number;
  /** When it is due (nominal + jitter); after `now` for a fire claimed ahead of time. */
  dueAt: number;
  decision: 'run' | 'missed' | 'excluded';
  /** Of an excluded fire: which exclusion. */
  reason?: string;
}

/** Fires that did not run, accounted for by one record. */
export interface CoveredRange {
  first: number;
  last: number;
  count: number;
  reason: 'coalesced' | 'backlog';
}

export interface FirePlan {
  fires: PlannedFire[];
  covered: CoveredRange[];
  nextRunTime: number | null;
  dueAt: number | null;
  /** The job's runCount once these fires ran (Job.maxRuns). */
  runCount: number;
}

/**
 * Bounds the work one claim can cause: a job down for a day at one fire per second has 86,400 due
 * fires; we decide at most this many one by one and cover the rest with one record.
 */
export const MAX_FIRES_PER_CLAIM = 1_000;
/** Fires counted one by one into a covering record (cron); the next claim continues past them. */
const MAX_COUNTED = 1_000_000;

/**
 * `now` is the store's clock at claim time; fires due up to `horizon` (>= now, the claim's lookahead)
 * are planned too, to be started at their due time. Misfire grace and coalescing apply to the
 * overdue fires only.
 */
export function planFires(job: Job, now: number, horizon = now, cap = MAX_FIRES_PER_CLAIM): FirePlan {
  const overdue: Fire[] = [];
  const upcoming: Fire[] = [];
  const covered: CoveredRange[] = [];
  let nominal = job.nextRunTime;
  let dueAt = job.dueAt;
  // Each next run time is computed from the previous *scheduled* time, never from the clock.
  while (nominal !== null && dueAt !== null && dueAt <= horizon) {
    if (overdue.length + upcoming.length === cap) {
      const backlog = coverBacklog(job, nominal, horizon);
      covered.push({ first: nominal, last: backlog.last, count: backlog.count, reason: 'backlog' });
      nominal = nextFireTime(job.trigger, backlog.last);
      dueAt = dueAtFor(job.id, job.trigger, nominal);
      break;
    }
    (dueAt <= now ? overdue : upcoming).push({ scheduledFor: nominal, dueAt });
    nominal = nextFireTime(job.trigger, nominal);
    dueAt = dueAtFor(job.id, job.trigger, nominal);
  }
  const decide = (fire: Fire): PlannedFire => ({
    ...fire,
    decision: job.misfireGraceTimeMs !== null && now - fire.dueAt > job.misfireGraceTimeMs ? 'missed' : 'run',
  });
  // Excluded fires are decided first: a catch-up coalesces and runs only fires that may run.
  const excluded: PlannedFire[] = [];
  const allowed = (fire: Fire) => {
    const reason = exclusionAt(job.exclusions, fire.scheduledFor);
    if (reason !== null) excluded.push({ ...fire, decision: 'excluded', reason });
    return reason === null;
  };
  const decided = catchUp(job.coalesce, overdue.filter(allowed), covered).map(decide);
  const ahead = upcoming.filter(allowed).map((fire) => ({ ...fire, decision: 'run' as const }));
  const plan = {
    fires: [...excluded, ...decided, ...ahead].sort((a, b) => a.scheduledFor - b.scheduledFor),
    covered,
    nextRunTime: nominal,
    dueAt,
    runCount: job.runCount ?? 0,
  };
  return job.maxRuns == null ? countRuns(plan) : limitRuns(plan, job.maxRuns);
}

function countRuns(plan: FirePlan): FirePlan {
  return { ...plan, runCount: plan.runCount + plan.fires.filter((f) => f.decision === 'run').length };
}

/**
 * The plan cut after the run that reaches maxRuns: the job finishes there (nextRunTime null), so
 * the fires after it are not fires of the job any more and need no record.
 */
function limitRuns(plan: FirePlan, maxRuns: number): FirePlan {
  let left = maxRuns - plan.runCount;
  if (left <= 0) return { ...plan, fires: [], covered: [], nextRunTime: null, dueAt: null };
  const fires: PlannedFire[] = [];
  for (const fire of plan.fires) {
    if (left === 0) break;
    fires.push(fire);
    if (fire.decision === 'run') left--;
  }
  if (left > 0) return countRuns(plan);
  const last = (fires.at(-1) as PlannedFire).scheduledFor;
  return {
    fires,
    covered: plan.covered.filter((range) => range.first < last),
    nextRunTime: null,
    dueAt: null,
    runCount: maxRuns,
  };
}

type Fire = { scheduledFor: number; dueAt: number };

/**
 * The overdue fires a catch-up runs, by coalesce policy: all of them, or only the earliest or the
 * latest, the others covered by one 'coalesced' range (pushed first into `covered`, so the covering
 * record comes before the backlog's). Only a backlog of two or more is coalesced.
 */
function catchUp(policy: Job['coalesce'], overdue: Fire[], covered: CoveredRange[]): Fire[] {
  const first = overdue[0];
  const last = overdue.at(-1);
  if (policy === 'all' || first === undefined || last === undefined || overdue.length < 2) return overdue;
  const kept = policy === 'earliest' ? first : last;
  const rest = policy === 'earliest' ? overdue.slice(1) : overdue.slice(0, -1);
  covered.unshift({
    first: (rest[0] as Fire).scheduledFor,
    last: (rest.at(-1) as Fire).scheduledFor,
    count: rest.length,
    reason: 'coalesced',
  });
  return [kept];
}

/**
 * The fires from `first` (a fire) up to the last one due by `horizon`, counted. Interval fires are
 * counted by arithmetic; others one by one, at most MAX_COUNTED (the next claim goes on from there).
 */
function coverBacklog(job: Job, first: number, horizon: number): { last: number; count: number } {
  const { trigger } = job;
  if (trigger.kind === 'interval' && trigger.jitterMs === 0) {
    const period = intervalPeriodMs(trigger);
    const end = trigger.endDate === null ? horizon : Math.min(horizon, trigger.endDate);
    const steps = Math.max(0, Math.floor((end - first) / period));
    return { last: first + steps * period, count: steps + 1 };
  }
  let last = first;
  let count = 1;
  for (let next = nextFireTime(trigger, last); next !== null && count < MAX_COUNTED; ) {
    if ((dueAtFor(job.id, trigger, next) ?? next) > horizon) break;
    last = next;
    count++;
    next = nextFireTime(trigger, last);
  }
  return { last, count };
}
