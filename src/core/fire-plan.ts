/**
 * What to do with a claimed job: which due fires run, which are recorded as missed, and where the
 * schedule goes next. Pure: the same claim and `now` always give the same plan.
 */

import type { Job } from './job.ts';
import { dueAtFor } from './job-factory.ts';
import { nextFireTime } from './triggers/next-fire.ts';

export interface PlannedFire {
  /** Nominal fire time: the row's scheduled_for. */
  scheduledFor: number;
  /** When it was due (nominal + jitter). */
  dueAt: number;
  decision: 'run' | 'missed';
}

export interface FirePlan {
  fires: PlannedFire[];
  /** Due fires collapsed into the last one by coalescing (not recorded one by one). */
  coalesced: number;
  /** The backlog exceeded the cap: the schedule jumped to the first fire after now, skipping the rest unrecorded. */
  truncated: boolean;
  nextRunTime: number | null;
  dueAt: number | null;
}

/**
 * Bounds the work one claim can cause: a job down for a day at one fire per second has 86,400 due
 * fires; we decide at most this many and jump the schedule past the rest.
 */
export const MAX_FIRES_PER_CLAIM = 1_000;

export function planFires(job: Job, now: number, cap = MAX_FIRES_PER_CLAIM): FirePlan {
  const due: { scheduledFor: number; dueAt: number }[] = [];
  let nominal = job.nextRunTime;
  let dueAt = job.dueAt;
  let truncated = false;
  // Enumerate every fire due by now; each next run time is computed from the previous *scheduled* time.
  while (nominal !== null && dueAt !== null && dueAt <= now) {
    if (due.length === cap) {
      truncated = true;
      nominal = nextFireTime(job.trigger, now);
      dueAt = dueAtFor(job.id, job.trigger, nominal);
      break;
    }
    due.push({ scheduledFor: nominal, dueAt });
    nominal = nextFireTime(job.trigger, nominal);
    dueAt = dueAtFor(job.id, job.trigger, nominal);
  }
  const decide = (fire: { scheduledFor: number; dueAt: number }): PlannedFire => ({
    ...fire,
    decision: job.misfireGraceTimeMs !== null && now - fire.dueAt > job.misfireGraceTimeMs ? 'missed' : 'run',
  });
  const last = due.at(-1);
  if (job.coalesce && last) {
    return { fires: [decide(last)], coalesced: due.length - 1, truncated, nextRunTime: nominal, dueAt };
  }
  return { fires: due.map(decide), coalesced: 0, truncated, nextRunTime: nominal, dueAt };
}
