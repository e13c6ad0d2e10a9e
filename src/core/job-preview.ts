/** Fire times shown before anything runs: a trigger's preview, and a job's upcoming fires. */
import { ValidationError } from './errors.ts';
import type { Job } from './job.ts';
import type { TriggerInput } from './trigger.ts';
import { annotateRuns, type PreviewRun } from './triggers/annotate.ts';
import { compileTrigger } from './triggers/compile.ts';
import { upcomingFireTimes } from './triggers/next-fire.ts';

export const MAX_PREVIEW_COUNT = 100;

export interface PreviewContext {
  now: number;
  defaultTimezone: string;
}

function checkCount(count: number, min: number): void {
  if (!Number.isInteger(count) || count < min || count > MAX_PREVIEW_COUNT)
    throw new ValidationError(
      'count',
      `must be an integer between ${min} and ${MAX_PREVIEW_COUNT}, got ${count}`,
    );
}

/** Next fire times of a trigger strictly after `after` (default now), without creating anything. */
export function previewTrigger(
  trigger: TriggerInput,
  after: number | null,
  count: number,
  ctx: PreviewContext,
): number[] {
  checkCount(count, 1);
  const compiled = compileTrigger(trigger, ctx);
  return upcomingFireTimes(compiled, after ?? ctx.now, count);
}

/** previewTrigger, each fire with how a DST change moved it. */
export function previewRuns(
  trigger: TriggerInput,
  after: number | null,
  count: number,
  ctx: PreviewContext,
): PreviewRun[] {
  const times = previewTrigger(trigger, after, count, ctx);
  return annotateRuns(compileTrigger(trigger, ctx), times);
}

/** The job's next `count` nominal fire times, starting with its nextRunTime. */
export function upcoming(job: Job, count: number): number[] {
  checkCount(count, 0);
  if (job.paused || job.nextRunTime === null || count === 0) return [];
  return [job.nextRunTime, ...upcomingFireTimes(job.trigger, job.nextRunTime, count - 1)];
}
