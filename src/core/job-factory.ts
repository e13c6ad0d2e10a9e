/**
 * Turns user input into a valid Job, and applies updates. Every rule here rejects bad input with a
 * ValidationError naming the field, before anything is stored.
 */
import { ValidationError } from './errors.ts';
import { requireExclusions } from './exclusions.ts';
import type { AddJobInput, Job, RetryPolicy, UpdateJobInput } from './job.ts';
import { JOB_DEFAULTS, MAX_ARGS_BYTES } from './job.ts';
import {
  requireCoalesce,
  requireMaxRuns,
  requireOverlap,
  requirePauseAfterFailures,
} from './job-policies.ts';
import type { JsonValue } from './json.ts';
import type { TaskResolver } from './task.ts';
import type { Trigger, TriggerInput } from './trigger.ts';
import { compileTrigger } from './triggers/compile.ts';
import { jitterOffset, nextFireTime } from './triggers/next-fire.ts';
import {
  MAX_TIMER_MS,
  requireBoolean,
  requireId,
  requireInteger,
  requireJson,
  requireNumber,
  requireString,
} from './validate.ts';

export interface JobFactoryContext {
  now: number;
  defaultTimezone: string;
  tasks: TaskResolver;
  newId: () => string;
}

const MAX_NAME_LENGTH = 200;
const MAX_INSTANCES = 10_000;
const MAX_ATTEMPTS = 100;

export function buildJob(input: AddJobInput, ctx: JobFactoryContext): Job {
  if (input === null || typeof input !== 'object') throw new ValidationError('input', 'must be an object');
  const id = input.id == null ? ctx.newId() : requireId('id', input.id);
  const task = requireTask(input.task, ctx.tasks);
  const args = requireArgs(input.args, task, ctx.tasks);
  const trigger = requireTrigger(input.trigger, ctx);
  const name = input.name == null ? id : requireString('name', input.name, MAX_NAME_LENGTH);
  const paused = input.paused == null ? false : requireBoolean('paused', input.paused);
  const job: Job = {
    id,
    name,
    task,
    args,
    trigger,
    paused,
    pausedAt: paused ? ctx.now : null,
    pauseReason: null,
    nextRunTime: null,
    dueAt: null,
    coalesce: input.coalesce == null ? JOB_DEFAULTS.coalesce : requireCoalesce(input.coalesce),
    overlap: input.overlap == null ? JOB_DEFAULTS.overlap : requireOverlap(input.overlap),
    maxRuns: requireMaxRuns(input.maxRuns ?? null),
    pauseAfterFailures: requirePauseAfterFailures(input.pauseAfterFailures ?? null),
    exclusions: requireExclusions(input.exclusions, ctx.defaultTimezone),
    runCount: 0,
    maxInstances:
      input.maxInstances == null ? JOB_DEFAULTS.maxInstances : requireMaxInstances(input.maxInstances),
    misfireGraceTimeMs:
      input.misfireGraceTimeMs === undefined
        ? JOB_DEFAULTS.misfireGraceTimeMs
        : requireGrace(input.misfireGraceTimeMs),
    timeoutMs: input.timeoutMs == null ? JOB_DEFAULTS.timeoutMs : requireTimeout(input.timeoutMs),
    retry: requireRetry(input.retry, JOB_DEFAULTS.retry),
    expectSuccessWithinMs: requireExpectSuccess(input.expectSuccessWithinMs ?? null),
    createdAt: ctx.now,
    updatedAt: ctx.now,
    version: 1,
  };
  return withSchedule(job, ctx.now);
}

export interface AppliedUpdate {
  job: Job;
  /** The trigger changed, so the schedule was recomputed from now. */
  scheduleChanged: boolean;
}

/** Applies a patch to a stored job; the result has version + 1. */
export function applyUpdate(current: Job, patch: UpdateJobInput, ctx: JobFactoryContext): AppliedUpdate {
  if (patch === null || typeof patch !== 'object') throw new ValidationError('input', 'must be an object');
  const task = patch.task == null ? current.task : requireTask(patch.task, ctx.tasks);
  const argsChanged = patch.args !== undefined || task !== current.task;
  const args = argsChanged
    ? requireArgs(patch.args === undefined ? current.args : patch.args, task, ctx.tasks)
    : current.args;
  let next: Job = {
    ...current,
    name: patch.name == null ? current.name : requireString('name', patch.name, MAX_NAME_LENGTH),
    task,
    args,
    coalesce: patch.coalesce == null ? current.coalesce : requireCoalesce(patch.coalesce),
    overlap:
      patch.overlap == null ? (current.overlap ?? JOB_DEFAULTS.overlap) : requireOverlap(patch.overlap),
    maxRuns: patch.maxRuns === undefined ? (current.maxRuns ?? null) : requireMaxRuns(patch.maxRuns),
    pauseAfterFailures:
      patch.pauseAfterFailures === undefined
        ? (current.pauseAfterFailures ?? null)
        : requirePauseAfterFailures(patch.pauseAfterFailures),
    exclusions:
      patch.exclusions === undefined
        ? (current.exclusions ?? [])
        : requireExclusions(patch.exclusions, ctx.defaultTimezone),
    maxInstances: patch.maxInstances == null ? current.maxInstances : requireMaxInstances(patch.maxInstances),
    misfireGraceTimeMs:
      patch.misfireGraceTimeMs === undefined
        ? current.misfireGraceTimeMs
        : requireGrace(patch.misfireGraceTimeMs),
    timeoutMs: patch.timeoutMs === undefined ? current.timeoutMs : requireTimeout(patch.timeoutMs),
    retry: patch.retry == null ? current.retry : requireRetry(patch.retry, current.retry),
    expectSuccessWithinMs:
      patch.expectSuccessWithinMs === undefined
        ? (current.expectSuccessWithinMs ?? null)
        : requireExpectSuccess(patch.expectSuccessWithinMs),
    updatedAt: ctx.now,
    version: current.version + 1,
  };
  const scheduleChanged = patch.trigger != null;
  if (scheduleChanged) next = withSchedule({ ...next, trigger: requireTrigger(patch.trigger, ctx) }, ctx.now);
  return { job: next, scheduleChanged };
}

/** The job with its schedule pointing at the first fire strictly after `after`. */
export function withSchedule(job: Job, after: number): Job {
  const nextRunTime = nextFireTime(job.trigger, after);
  return { ...job, nextRunTime, dueAt: dueAtFor(job.id, job.trigger, nextRunTime) };
}

export function dueAtFor(jobId: string, trigger: Trigger, nominal: number | null): number | null {
  return nominal === null ? null : nominal + jitterOffset(jobId, nominal, trigger.jitterMs);
}

function requireTrigger(input: TriggerInput | null | undefined, ctx: JobFactoryContext): Trigger {
  if (input == null || typeof input !== 'object') throw new ValidationError('trigger', 'is required');
  return compileTrigger(input, { now: ctx.now, defaultTimezone: ctx.defaultTimezone });
}

function requireTask(value: unknown, tasks: TaskResolver): string {
  const name = requireString('task', value, 100);
  if (!tasks.get(name)) {
    const known = tasks
      .list()
      .map((t) => t.name)
      .join(', ');
    throw new ValidationError('task', `unknown task "${name}" (known: ${known || 'none'})`);
  }
  return name;
}

function requireArgs(value: unknown, task: string, tasks: TaskResolver): JsonValue {
  const args = requireJson('args', value === undefined || value === null ? {} : value, MAX_ARGS_BYTES);
  tasks.get(task)?.validateArgs?.(args);
  return args;
}

function requireMaxInstances(value: unknown): number {
  return requireInteger('maxInstances', value, 1, MAX_INSTANCES);
}

function requireGrace(value: unknown): number | null {
  return value === null ? null : requireInteger('misfireGraceTimeMs', value, 1);
}

function requireTimeout(value: unknown): number | null {
  return value === null ? null : requireInteger('timeoutMs', value, 1, MAX_TIMER_MS);
}

/** At least a second: the switch is checked every few seconds (src/health/overdue.ts). */
function requireExpectSuccess(value: unknown): number | null {
  return value === null ? null : requireInteger('expectSuccessWithinMs', value, 1_000);
}

function requireRetry(input: Partial<RetryPolicy> | null | undefined, base: RetryPolicy): RetryPolicy {
  if (input == null) return { ...base };
  if (typeof input !== 'object') throw new ValidationError('retry', 'must be an object');
  const retry: RetryPolicy = {
    attempts:
      input.attempts == null
        ? base.attempts
        : requireInteger('retry.attempts', input.attempts, 1, MAX_ATTEMPTS),
    backoffMs:
      input.backoffMs == null
        ? base.backoffMs
        : requireInteger('retry.backoffMs', input.backoffMs, 0, MAX_TIMER_MS),
    factor: input.factor == null ? base.factor : requireNumber('retry.factor', input.factor, 1, 100),
    maxBackoffMs:
      input.maxBackoffMs == null
        ? base.maxBackoffMs
        : requireInteger('retry.maxBackoffMs', input.maxBackoffMs, 0, MAX_TIMER_MS),
    jitter: input.jitter == null ? base.jitter : requireBoolean('retry.jitter', input.jitter),
  };
  if (retry.maxBackoffMs < retry.backoffMs) {
    throw new ValidationError('retry.maxBackoffMs', `must be >= retry.backoffMs (${retry.backoffMs})`);
  }
  return retry;
}

/** Delay before attempt `attempt + 1` (attempt is the one that just failed, 1-based). */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const raw = Math.min(policy.maxBackoffMs, policy.backoffMs * policy.factor ** (attempt - 1));
  return Math.round(policy.jitter ? raw / 2 + (random() * raw) / 2 : raw);
}
