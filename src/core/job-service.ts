/**
 * What the API can do with jobs: the commands (add, update, pause, resume, reschedule, remove,
 * runNow, backfill) on top of the reads (job-reads.ts); their audit entries are job-audit.ts's.
 * Commands validate first and change nothing on bad input; concurrent edits are resolved by the
 * store's version check (read, apply, compare-and-set, retry).
 */
import { type BackfillRequest, type BackfillResult, backfill } from './backfill.ts';
import { ConflictError, KairosError, NotFoundError, UnavailableError } from './errors.ts';
import type { Execution } from './execution.ts';
import type { AddJobInput, Job, UpdateJobInput } from './job.ts';
import { auditEntry, backfillSummary } from './job-audit.ts';
import { sameDefinition } from './job-definition.ts';
import type { JobFactoryContext } from './job-factory.ts';
import { applyUpdate, buildJob, withSchedule } from './job-factory.ts';
import { previewRuns, previewTrigger, upcoming } from './job-preview.ts';
import { JobReads, type ReadPorts } from './job-reads.ts';
import type { JsonValue } from './json.ts';
import type { AuditAction, BusEvent, JobEventType } from './ports.ts';
import type { TriggerInput } from './trigger.ts';
import type { PreviewRun } from './triggers/annotate.ts';
import { requireString } from './validate.ts';

const CAS_ATTEMPTS = 8;
const MAX_PAUSE_REASON_LENGTH = 500;

interface Change {
  job: Job;
  schedule: 'keep' | 'replace';
}

/** What the service needs of a running scheduler, and nothing more. */
export interface SchedulerControl {
  readonly running: boolean;
  readonly instance: string;
  /** The store's clock as the scheduler knows it. */
  now(): number;
  /** Re-examine the schedule now (a job was added, rescheduled or resumed). */
  wake(): void;
  publish(event: BusEvent): void;
  /** Runs the job once now; null when a row for this instant exists already. */
  runNow(job: Job): Promise<Execution | null>;
  /** Pending rows were stored (a backfill): the first is due at `dueAt`. */
  notePending?(dueAt: number): void;
}

export interface JobServiceOptions extends ReadPorts {
  defaultTimezone: string;
  scheduler: SchedulerControl;
  /** Who the commands act for (see `as`); default "system". */
  actor?: string;
}

export class JobService extends JobReads {
  readonly defaultTimezone: string;
  private readonly scheduler: SchedulerControl;
  private readonly options: JobServiceOptions;
  readonly actor: string;
  private readonly views = new Map<string, JobService>();

  constructor(options: JobServiceOptions) {
    super(options);
    this.options = options;
    this.actor = options.actor ?? 'system';
    this.defaultTimezone = options.defaultTimezone;
    this.scheduler = options.scheduler;
  }

  /** A service over a scheduler that exposes its own ports (tests and benches wire it this way). */
  static of(
    scheduler: SchedulerControl &
      Pick<JobServiceOptions, 'store' | 'log' | 'tasks' | 'defaultTimezone' | 'audit'>,
  ): JobService {
    const { store, log, tasks, defaultTimezone, audit } = scheduler;
    return new JobService({ store, log, tasks, defaultTimezone, scheduler, audit });
  }

  /** This service acting for `actor` (the audit log's who); made once per actor, as actors are few. */
  as(actor: string): JobService {
    let view = this.views.get(actor);
    if (!view) {
      view = new JobService({ ...this.options, actor });
      this.views.set(actor, view);
    }
    return view;
  }

  get instance(): string {
    return this.scheduler.instance;
  }

  get running(): boolean {
    return this.scheduler.running;
  }

  now(): number {
    return this.scheduler.now();
  }

  private context(): JobFactoryContext {
    return {
      now: this.scheduler.now(),
      defaultTimezone: this.defaultTimezone,
      tasks: this.tasks,
      newId: () => crypto.randomUUID(),
    };
  }

  async addJob(input: AddJobInput, options: { replaceExisting?: boolean } = {}): Promise<Job> {
    const built = buildJob(input, this.context());
    // Added paused: paused by whoever added it.
    const job = built.paused ? { ...built, pausedBy: this.actor } : built;
    try {
      await this.store.add(job);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      if (!options.replaceExisting) throw new ConflictError(`job "${job.id}" already exists`);
      return this.replace(job);
    }
    this.emitJob('added', job);
    this.scheduler.wake();
    await this.record('added', job.id, null, job);
    return job;
  }

  /**
   * replace-existing semantics for declared jobs: an unchanged definition keeps its schedule (so an
   * interval's anchor survives restarts); a changed one is replaced and rescheduled from now.
   */
  private replace(declared: Job): Promise<Job> {
    return this.mutate(declared.id, 'updated', (current) => {
      if (sameDefinition(current, declared)) return null;
      // Run-time state is the operator's: a declaration never pauses, resumes or clears a note.
      const runtime = {
        paused: current.paused,
        pausedAt: current.pausedAt,
        pauseReason: current.pauseReason,
        pausedBy: current.pausedBy ?? null,
        runCount: current.runCount,
      };
      const job = { ...declared, ...runtime, createdAt: current.createdAt, version: current.version + 1 };
      return { job, schedule: 'replace' };
    });
  }

  updateJob(id: string, patch: UpdateJobInput): Promise<Job> {
    return this.mutate(id, 'updated', (current) => {
      const { job, scheduleChanged } = applyUpdate(current, patch, this.context());
      return { job, schedule: scheduleChanged ? 'replace' : 'keep' };
    });
  }

  pauseJob(id: string, reason: string | null = null): Promise<Job> {
    if (reason !== null) requireString('reason', reason, MAX_PAUSE_REASON_LENGTH);
    return this.mutate(id, 'paused', (current) => {
      if (current.paused) return null;
      const job = this.touched({
        ...current,
        paused: true,
        pausedAt: this.scheduler.now(),
        pauseReason: reason,
        pausedBy: this.actor,
      });
      return { job, schedule: 'keep' };
    });
  }

  /** Resuming recomputes the next fire from now: fires that passed while paused are not made up. */
  resumeJob(id: string): Promise<Job> {
    return this.mutate(id, 'resumed', (current) => {
      if (!current.paused) return null;
      const resumed = { ...current, paused: false, pausedAt: null, pauseReason: null, pausedBy: null };
      const job = withSchedule(this.touched(resumed), this.scheduler.now());
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
    const removed = await this.store.remove(id);
    if (!removed) throw new NotFoundError('job', id);
    this.emitJob('removed', removed);
    await this.record('removed', id, removed, null);
    return removed;
  }

  /** Runs the job once now, outside its schedule; returns the execution it started (or `skipped`). */
  async runJobNow(id: string): Promise<Execution> {
    if (!this.scheduler.running) throw new UnavailableError('the scheduler (it is not running)');
    const job = await this.getJob(id);
    const execution = await this.scheduler.runNow(job);
    if (!execution) throw new ConflictError(`job "${id}" was just run manually; try again`);
    return execution;
  }

  /** Runs the job's fires of a window now, rate-limited (see backfill.ts); a dry run stores nothing. */
  async backfillJob(id: string, request: BackfillRequest): Promise<BackfillResult> {
    const job = await this.getJob(id);
    if (!request.dryRun && !this.scheduler.running)
      throw new UnavailableError('the scheduler (it is not running)');
    // Its pending rows would be recorded SKIPPED one by one (ExtraRuns): refuse instead.
    if (!request.dryRun && job.paused)
      throw new ConflictError(`job "${id}" is paused; resume it to backfill`);
    const now = this.scheduler.now();
    const result = await backfill(job, request, { log: this.log, now, instance: this.scheduler.instance });
    for (const execution of result.rows)
      this.scheduler.publish({ stream: 'execution', type: 'scheduled', at: now, execution });
    const first = result.rows[0];
    if (first?.dueAt != null) this.scheduler.notePending?.(first.dueAt);
    if (!request.dryRun) await this.record('backfilled', id, null, backfillSummary(request, result));
    return result;
  }

  /** Next fire times of a trigger strictly after `after`, without creating anything. */
  previewTrigger(trigger: TriggerInput, after: number | null, count: number): number[] {
    return previewTrigger(trigger, after, count, this.previewContext());
  }

  /** previewTrigger, each fire with how a DST change moved it. */
  previewRuns(trigger: TriggerInput, after: number | null, count: number): PreviewRun[] {
    return previewRuns(trigger, after, count, this.previewContext());
  }

  /** The job's next `count` nominal fire times, starting with its nextRunTime. */
  upcoming(job: Job, count: number): number[] {
    return upcoming(job, count);
  }

  private previewContext() {
    return { now: this.scheduler.now(), defaultTimezone: this.defaultTimezone };
  }

  private touched(job: Job): Job {
    return { ...job, updatedAt: this.scheduler.now(), version: job.version + 1 };
  }

  private async mutate(
    id: string,
    type: JobEventType & AuditAction,
    change: (current: Job) => Change | null,
  ): Promise<Job> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.getJob(id);
      const next = change(current);
      if (!next) return current;
      try {
        await this.store.update(next.job, current.version, next.schedule);
      } catch (error) {
        if (error instanceof ConflictError) continue; // changed under us: re-read and re-apply
        throw error;
      }
      // With 'keep' a claim in flight may have moved the schedule; report what is stored.
      const stored = next.schedule === 'keep' ? ((await this.store.get(id)) ?? next.job) : next.job;
      this.emitJob(type, stored);
      if (next.schedule === 'replace') this.scheduler.wake();
      await this.record(type, id, current, stored);
      return stored;
    }
    throw new KairosError('CONFLICT', `job "${id}" is being changed concurrently; try again`);
  }

  /**
   * After the change is stored and announced: a failed write fails the command (UNAVAILABLE), so a
   * change that is not in the trail is never reported as done without a word.
   */
  private async record(
    action: AuditAction,
    jobId: string,
    before: Job | null,
    after: Job | JsonValue | null,
  ) {
    if (!this.audit) return;
    await this.audit.record([auditEntry(action, jobId, this.actor, this.scheduler.now(), before, after)]);
  }

  private emitJob(type: JobEventType, job: Job): void {
    this.scheduler.publish({ stream: 'job', type, at: this.scheduler.now(), jobId: job.id, job });
  }
}
