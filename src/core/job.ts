import type { Exclusion, ExclusionInput } from './exclusions.ts';
import type { JsonValue } from './json.ts';
import type { Trigger, TriggerInput } from './trigger.ts';

/** How failed attempts are retried. Each attempt is its own execution row. */
export interface RetryPolicy {
  /** Total attempts including the first; 1 = no retry. */
  attempts: number;
  /** Delay before the 2nd attempt. */
  backoffMs: number;
  /** Each further delay is multiplied by this. */
  factor: number;
  maxBackoffMs: number;
  /** Full jitter: the delay is a random value in [delay/2, delay]. */
  jitter: boolean;
}

/**
 * Which overdue fires a catch-up runs (APScheduler 4's CoalescePolicy): the first, the last, or
 * each one (misfire grace still applies). The others are covered by one MISSED record.
 */
export type CoalescePolicy = 'earliest' | 'latest' | 'all';
/** The input form: the policy, or the boolean of APScheduler 3 (true = latest, false = all). */
export type CoalesceInput = CoalescePolicy | boolean;

/**
 * What a fire does when all maxInstances runs are busy at its due time (Temporal's overlap
 * policies). Cluster-wide, decided by the job store with the slots (acquireSlots).
 * - skip: recorded SKIPPED.
 * - buffer_one: at most one fire waits for a slot; further ones are SKIPPED.
 * - buffer_all: fires wait in order, at most MAX_BUFFERED; beyond that SKIPPED.
 * - cancel_other: the oldest run is aborted (recorded CANCELLED) and the new one starts when its
 *   slot frees.
 */
export type OverlapPolicy = 'skip' | 'buffer_one' | 'buffer_all' | 'cancel_other';
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = [
  'skip',
  'buffer_one',
  'buffer_all',
  'cancel_other',
];
/** The bound of buffer_all: a job this far behind has a handler that cannot keep up. */
export const MAX_BUFFERED = 100;

/**
 * A schedule of a task. `nextRunTime` is the nominal (unjittered) next fire, the value that becomes
 * `scheduled_for`; `dueAt` is when it is actually due (nominal + jitter). Both null: finished.
 */
export interface Job {
  id: string;
  name: string;
  task: string;
  args: JsonValue;
  trigger: Trigger;
  paused: boolean;
  /** When the job was paused; null when it is not paused. */
  pausedAt: number | null;
  /** Why it was paused (an operator's note, or the scheduler's when it quarantined a poison job). */
  pauseReason: string | null;
  /** Who paused it: the token (by scope), "jobs file" or "system"; null/absent when not paused or unknown. */
  pausedBy?: string | null;
  /** Pause the job after this many consecutive failed runs; null/absent = never. */
  pauseAfterFailures?: number | null;
  /** Times the job does not fire (recorded SKIPPED); absent = none. */
  exclusions?: Exclusion[];
  nextRunTime: number | null;
  dueAt: number | null;
  coalesce: CoalescePolicy;
  /** Absent on jobs stored before it existed, which reads as 'skip'. */
  overlap?: OverlapPolicy;
  /** The job finishes after this many runs (scheduled fires decided to run); null/absent = no limit. */
  maxRuns?: number | null;
  /** Scheduled fires decided to run so far (absent = 0); kept with the schedule, not the definition. */
  runCount?: number;
  maxInstances: number;
  /** A fire later than this is recorded `missed` instead of run; null = run however late. */
  misfireGraceTimeMs: number | null;
  /** null = no timeout. */
  timeoutMs: number | null;
  retry: RetryPolicy;
  /**
   * The dead-man's switch: the job is overdue when no run succeeded for this long (Job.health).
   * null = not watched. Absent on jobs stored before it existed, which reads as null.
   */
  expectSuccessWithinMs?: number | null;
  createdAt: number;
  updatedAt: number;
  /** Bumped by every definition change (not by firing); used for optimistic concurrency. */
  version: number;
}

export interface AddJobInput {
  id?: string | null;
  name?: string | null;
  task: string;
  args?: JsonValue;
  trigger: TriggerInput;
  paused?: boolean | null;
  coalesce?: CoalesceInput | null;
  overlap?: OverlapPolicy | null;
  maxRuns?: number | null;
  pauseAfterFailures?: number | null;
  exclusions?: ExclusionInput[] | null;
  maxInstances?: number | null;
  misfireGraceTimeMs?: number | null;
  timeoutMs?: number | null;
  retry?: Partial<RetryPolicy> | null;
  expectSuccessWithinMs?: number | null;
}

/** Fields left undefined are kept. `misfireGraceTimeMs`/`timeoutMs`/`expectSuccessWithinMs` set to null clear them. */
export interface UpdateJobInput {
  name?: string | null;
  task?: string | null;
  args?: JsonValue;
  trigger?: TriggerInput | null;
  coalesce?: CoalesceInput | null;
  overlap?: OverlapPolicy | null;
  /** null clears the limit; a limit at or below runCount finishes the job at its next claim. */
  maxRuns?: number | null;
  /** null clears it. */
  pauseAfterFailures?: number | null;
  /** Replaces the list; null or [] clears it. */
  exclusions?: ExclusionInput[] | null;
  maxInstances?: number | null;
  misfireGraceTimeMs?: number | null;
  timeoutMs?: number | null;
  retry?: Partial<RetryPolicy> | null;
  expectSuccessWithinMs?: number | null;
}

/** APScheduler's usual job_defaults: coalesce, one instance, 60 s grace. */
export const JOB_DEFAULTS = {
  coalesce: 'latest' as CoalescePolicy,
  overlap: 'skip' as OverlapPolicy,
  maxInstances: 1,
  misfireGraceTimeMs: 60_000,
  timeoutMs: null,
  retry: {
    attempts: 1,
    backoffMs: 1_000,
    factor: 2,
    maxBackoffMs: 300_000,
    jitter: true,
  } satisfies RetryPolicy,
} as const;

export const MAX_ARGS_BYTES = 64 * 1024;
