/**
 * What to do with a claimed job: which fires run, which are recorded as missed, and where the
 * schedule goes next. Pure: the same claim, `now` and horizon always give the same plan.
 */

import type { Job } from './job.ts';
import { dueAtFor } from './job-factory.ts';
import { nextFireTime } from './triggers/next-fire.ts';

export interface PlannedFire {
  /** Nominal fire time: the row's scheduled_for. */
  scheduledFor: number;
  /** When it is due (nominal + jitter); after `now` for a fire claimed ahead of time. */
  dueAt: number;
  decision: 'run' | 'missed';
}

export interface FirePlan {
  fires: PlannedFire[];
  /** Overdue fires collapsed into the latest one by coalescing (not recorded one by one). */
  coalesced: number;
  /** The backlog exceeded the cap: the schedule jumped past the horizon, skipping the rest unrecorded. */
  truncated: boolean;
  nextRunTime: number | null;
  dueAt: number | null;
}

/**
 * Bounds the work one claim can cause: a job down for a day at one fire per second has 86,400 due
 * fires; we decide at most this many and jump the schedule past the rest.
 */
export const MAX_FIRES_PER_CLAIM = 1_000;

/**
 * `now` is the store's clock at claim time; fires due up to `horizon` (>= now, the claim's lookahead)
 * are planned too, to be started at their due time. Misfire grace and coalescing apply to the
 * overdue fires only.
 */
export function planFires(job: Job, now: number, horizon = now, cap = MAX_FIRES_PER_CLAIM): FirePlan {
  const overdue: { scheduledFor: number; dueAt: number }[] = [];
  const upcoming: { scheduledFor: number; dueAt: number }[] = [];
  let nominal = job.nextRunTime;
  let dueAt = job.dueAt;
  let truncated = false;
  // Each next run time is computed from the previous *scheduled* time, never from the clock.
  while (nominal !== null && dueAt !== null && dueAt <= horizon) {
    if (overdue.length + upcoming.length === cap) {
      truncated = true;
      nominal = nextFireTime(job.trigger, horizon);
      dueAt = dueAtFor(job.id, job.trigger, nominal);
      break;
    }
    (dueAt <= now ? overdue : upcoming).push({ scheduledFor: nominal, dueAt });
    nominal = nextFireTime(job.trigger, nominal);
    dueAt = dueAtFor(job.id, job.trigger, nominal);
  }
  const decide = (fire: { scheduledFor: number; dueAt: number }): PlannedFire => ({
    ...fire,
    decision: job.misfireGraceTimeMs !== null && now - fire.dueAt > job.misfireGraceTimeMs ? 'missed' : 'run',
  });
  const latest = overdue.at(-1);
  const coalesce = job.coalesce && latest !== undefined;
  const decided = coalesce ? [decide(latest)] : overdue.map(decide);
  return {
    fires: [...decided, ...upcoming.map((fire) => ({ ...fire, decision: 'run' as const }))],
    coalesced: coalesce ? overdue.length - 1 : 0,
    truncated,
    nextRunTime: nominal,
    dueAt,
  };
}
