/**
 * What the API can do with jobs: the commands (add, update, pause, resume, reschedule, remove,
 * runNow) and the reads. Commands validate first and change nothing on bad input; concurrent edits
 * are resolved by the store's version check (read, apply, compare-and-set, retry).
 */
import { ConflictError, KairosError, NotFoundError, UnavailableError, ValidationError } from './errors.ts';
import type { Execution } from './execution.ts';
import type { AddJobInput, Job, UpdateJobInput } from './job.ts';
import type { JobFactoryContext } from './job-factory.ts';
import { applyUpdate, buildJob, withSchedule } from './job-factory.ts';
import type { JobEventType } from './ports.ts';
import type { Scheduler } from './scheduler.ts';
import type { TriggerInput } from './trigger.ts';
import { compileTrigger } from './triggers/compile.ts';
import { upcomingFireTimes } from './triggers/next-fire.ts';

const CAS_ATTEMPTS = 8;
export const MAX_PREVIEW_COUNT = 100;

interface Change {
  job: Job;
  schedule: 'keep' | 'replace';
}

export class JobService {
  readonly scheduler: Scheduler;

  constructor(scheduler: Scheduler) {
    this.scheduler = scheduler;
  }

  private context(): JobFactoryContext {
    return {
      now: this.scheduler.now(),
      defaultTimezone: this.scheduler.defaultTimezone,
      tasks: this.scheduler.tasks,
      newId: () => crypto.randomUUID(),
    };
  }

  async addJob(input: AddJobInput, options: { replaceExisting?: boolean } = {}): Promise<Job> {
    const job = buildJob(input, this.context());
    try {
      await this.scheduler.store.add(job);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      if (!options.replaceExisting) throw new ConflictError(`job "${job.id}" already exists`);
      return this.replace(job);
    }
    this.emitJob('added', job);
    this.scheduler.wake();
    return job;
  }

  /**
   * replace-existing semantics for declared jobs: an unchanged definition keeps its schedule (so an
   * interval's anchor survives restarts); a changed one is replaced and rescheduled from now.
   */
  private replace(declared: Job): Promise<Job> {
    return this.mutate(declared.id, 'updated', (current) => {
      if (sameDefinition(current, declared)) return null;
      const job = { ...declared, createdAt: current.createdAt, version: current.version + 1 };
      return { job, schedule: 'replace' };
    });
  }

  updateJob(id: string, patch: UpdateJobInput): Promise<Job> {
    return this.mutate(id, 'updated', (current) => {
      const { job, scheduleChanged } = applyUpdate(current, patch, this.context());
      return { job, schedule: scheduleChanged ? 'replace' : 'keep' };
    });
  }

  pauseJob(id: string): Promise<Job> {
    return this.mutate(id, 'paused', (current) =>
      current.paused ? null : { job: this.touched({ ...current, paused: true }), schedule: 'keep' },
    );
  }

  /** Resuming recomputes the next fire from now: fires that passed while paused are not made up. */
  resumeJob(id: string): Promise<Job> {
    return this.mutate(id, 'resumed', (current) => {
      if (!current.paused) return null;
      const job = withSchedule(this.touched({ ...current, paused: false }), this.scheduler.now());
      return { job, schedule: 'replace' };
    });
  }

  rescheduleJob(id: string, trigger: TriggerInput): Promise<Job> {
    return this.mutate(id, 'rescheduled', (current) => {
      const { job } = applyUpdate(current, { trigger }, this.context());
      return { job, schedule: 'replace' };
    });
  }

  async removeJob(id: string): Promise<Job> {
    const removed = await this.scheduler.store.remove(id);
    if (!removed) throw new NotFoundError('job', id);
    this.emitJob('removed', removed);
    return removed;
  }

  /** Runs the job once now, outside its schedule; returns the execution it started (or `skipped`). */
  async runJobNow(id: string): Promise<Execution> {
    if (!this.scheduler.running) throw new UnavailableError('the scheduler (it is not running)');
    const job = await this.getJob(id);
    const execution = await this.scheduler.runExtra(job, this.scheduler.now(), 'manual', 1);
    if (!execution) throw new ConflictError(`job "${id}" was just run manually; try again`);
    return execution;
  }

  async getJob(id: string): Promise<Job> {
    const job = await this.scheduler.store.get(id);
    if (!job) throw new NotFoundError('job', id);
    return job;
  }

  /** Next fire times of a trigger strictly after `after`, without creating anything. */
  previewTrigger(trigger: TriggerInput, after: number | null, count: number): number[] {
    if (!Number.isInteger(count) || count < 1 || count > MAX_PREVIEW_COUNT) {
      throw new ValidationError(
        'count',
        `must be an integer between 1 and ${MAX_PREVIEW_COUNT}, got ${count}`,
      );
    }
    const now = this.scheduler.now();
    const compiled = compileTrigger(trigger, { now, defaultTimezone: this.scheduler.defaultTimezone });
    return upcomingFireTimes(compiled, after ?? now, count);
  }

  /** The job's next `count` nominal fire times, starting with its nextRunTime. */
  upcoming(job: Job, count: number): number[] {
    if (!Number.isInteger(count) || count < 0 || count > MAX_PREVIEW_COUNT) {
      throw new ValidationError(
        'count',
        `must be an integer between 0 and ${MAX_PREVIEW_COUNT}, got ${count}`,
      );
    }
    if (job.paused || job.nextRunTime === null || count === 0) return [];
    return [job.nextRunTime, ...upcomingFireTimes(job.trigger, job.nextRunTime, count - 1)];
  }

  private touched(job: Job): Job {
    return { ...job, updatedAt: this.scheduler.now(), version: job.version + 1 };
  }

  private async mutate(
    id: string,
    type: JobEventType,
    change: (current: Job) => Change | null,
  ): Promise<Job> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.getJob(id);
      const next = change(current);
      if (!next) return current;
      try {
        await this.scheduler.store.update(next.job, current.version, next.schedule);
      } catch (error) {
        if (error instanceof ConflictError) continue; // changed under us: re-read and re-apply
        throw error;
      }
      // With 'keep' a claim in flight may have moved the schedule; report what is stored.
      const stored = next.schedule === 'keep' ? ((await this.scheduler.store.get(id)) ?? next.job) : next.job;
      this.emitJob(type, stored);
      if (next.schedule === 'replace') this.scheduler.wake();
      return stored;
    }
    throw new KairosError('CONFLICT', `job "${id}" is being changed concurrently; try again`);
  }

  private emitJob(type: JobEventType, job: Job): void {
    this.scheduler.publish({ stream: 'job', type, at: this.scheduler.now(), jobId: job.id, job });
  }
}

/** Same definition as declared, ignoring runtime state and an interval's creation-time anchor. */
function sameDefinition(current: Job, declared: Job): boolean {
  const strip = (job: Job) => {
    const trigger =
      job.trigger.kind === 'interval' && job.trigger.startDate === null
        ? { ...job.trigger, anchor: 0 }
        : job.trigger;
    return JSON.stringify([
      job.name,
      job.task,
      job.args,
      trigger,
      job.paused,
      job.coalesce,
      job.maxInstances,
      job.misfireGraceTimeMs,
      job.timeoutMs,
      job.retry,
    ]);
  };
  return strip(current) === strip(declared);
}
