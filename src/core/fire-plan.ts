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
  const reasonOf = (fire: Fire) => exclusionAt(job.exclusions, fire.scheduledFor);
  const excludedOr = (fire: Fire, reason: string | null, decided: () => PlannedFire): PlannedFire =>
    reason === null ? decided() : { ...fire, decision: 'excluded', reason };
  const decided = catchUp(job.coalesce, overdue, covered, reasonOf).map(({ fire, excluded }) =>
    excludedOr(fire, excluded, () => decide(fire)),
  );
  const ahead = upcoming.map((fire) =>
    excludedOr(fire, reasonOf(fire), () => ({ ...fire, decision: 'run' })),
  );
  const plan = {
    fires: [...decided, ...ahead].sort((a, b) => a.scheduledFor - b.scheduledFor),
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
 * The overdue fires a catch-up keeps, by coalesce policy: all of them, or the earliest or the latest
 * that is not excluded, the fires on its far side covered by one 'coalesced' range (pushed first
 * into `covered`, so the covering record comes before the backlog's). The fires on its near side
 * are all excluded (it is the first or last allowed one) and are kept to be recorded as such, so a
 * range never holds a fire that has a record of its own. Only a backlog of two or more is coalesced.
 */
function catchUp(
  policy: Job['coalesce'],
  overdue: Fire[],
  covered: CoveredRange[],
  reasonOf: (fire: Fire) => string | null,
): { fire: Fire; excluded: string | null }[] {
  const marked = overdue.map((fire) => ({ fire, excluded: reasonOf(fire) }));
  const allowed = marked.flatMap((m, i) => (m.excluded === null ? [i] : []));
  if (policy === 'all' || marked.length < 2 || allowed.length === 0) return marked;
  const k = (policy === 'earliest' ? allowed[0] : allowed.at(-1)) as number;
  const far = policy === 'earliest' ? marked.slice(k + 1) : marked.slice(0, k);
  const near = policy === 'earliest' ? marked.slice(0, k) : marked.slice(k + 1);
  const [head, tail] = [far[0], far.at(-1)];
  if (head && tail)
    covered.unshift({
      first: head.fire.scheduledFor,
      last: tail.fire.scheduledFor,
      count: far.length,
      reason: 'coalesced',
    });
  return [...near, marked[k] as (typeof marked)[number]];
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
