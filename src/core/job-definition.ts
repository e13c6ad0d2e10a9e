/** Whether a job declared again (the jobs file, replaceExisting) changed its definition. */
import type { Job } from './job.ts';

/** Same definition as declared, ignoring run-time state (pause) and an interval's creation-time anchor. */
export function sameDefinition(current: Job, declared: Job): boolean {
  const strip = (job: Job) => {
    // An interval without startDate is anchored at its creation: that differs between declarations.
    const unanchored = (t: Job['trigger']): Job['trigger'] =>
      t.kind === 'interval' && t.startDate === null
        ? { ...t, anchor: 0 }
        : t.kind === 'any'
          ? { ...t, triggers: t.triggers.map((m) => unanchored(m) as typeof m) }
          : t;
    const trigger = unanchored(job.trigger);
    return JSON.stringify([
      job.name,
      job.task,
      job.args,
      trigger,
      job.coalesce,
      job.overlap ?? 'skip',
      job.maxRuns ?? null,
      job.pauseAfterFailures ?? null,
      job.exclusions ?? [],
      job.maxInstances,
      job.misfireGraceTimeMs,
      job.timeoutMs,
      job.retry,
      job.expectSuccessWithinMs ?? null,
    ]);
  };
  return strip(current) === strip(declared);
}
