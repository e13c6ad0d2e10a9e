/** Every job mutation and its inputs; each says the scope it needs (admin unless mutationScope). */
import type { AddJobInput, RetryPolicy, UpdateJobInput } from '../core/job.ts';
import { mutationScope } from './auth.ts';
import { builder } from './builder.ts';
import { ExecutionRef } from './execution.ts';
import { JobRef } from './job.ts';
import { CoalescePolicyEnum, ExclusionInputRef, OverlapPolicyEnum } from './job-policies.ts';
import { TriggerInput } from './trigger.ts';

const RetryInput = builder.inputType('RetryInput', {
  description: 'Fields left out keep their current (or default) value.',
  fields: (t) => ({
    attempts: t.int({ description: 'Total attempts including the first (1 to 100); default 1.' }),
    backoffMs: t.int({ description: 'Default 1000.' }),
    factor: t.float({ description: 'Default 2.' }),
    maxBackoffMs: t.int({ description: 'Default 300000.' }),
    jitter: t.boolean({ description: 'Default true.' }),
  }),
});

type RetryArg = { [K in keyof RetryPolicy]?: RetryPolicy[K] | null } | null | undefined;

/** GraphQL sends null for a field set to null; the core reads a missing field as "keep". */
function retryPatch(input: RetryArg): Partial<RetryPolicy> | null | undefined {
  if (input == null) return input;
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value != null));
}

const AddJobInputRef = builder.inputType('AddJobInput', {
  fields: (t) => ({
    id: t.id({ description: 'Default: a generated UUID. Letters, digits and _ . : @ -, up to 200.' }),
    name: t.string({ description: 'Default: the id.' }),
    task: t.string({ required: true, description: 'A registered task (see `tasks`).' }),
    args: t.field({ type: 'JSON', description: 'Passed to the task; at most 64 KiB of JSON.' }),
    trigger: t.field({ type: TriggerInput, required: true }),
    paused: t.boolean({ description: 'Default false.' }),
    coalesce: t.boolean({
      description: 'Default true (LATEST); false = ALL. coalescePolicy wins when both are set.',
    }),
    coalescePolicy: t.field({ type: CoalescePolicyEnum, description: 'Default LATEST.' }),
    overlap: t.field({ type: OverlapPolicyEnum, description: 'Default SKIP.' }),
    maxRuns: t.int({ description: 'The job finishes after this many runs. Default none.' }),
    exclusions: t.field({
      type: [ExclusionInputRef],
      description: 'Times the job does not fire. Default none.',
    }),
    pauseAfterFailures: t.int({
      description: 'Pause after this many consecutive failed runs (1 to 100). Default none.',
    }),
    maxInstances: t.int({ description: 'Default 1.' }),
    misfireGraceTimeMs: t.int({ description: 'Default 60000; null = run however late.' }),
    timeoutMs: t.int({ description: 'Default none.' }),
    retry: t.field({ type: RetryInput }),
    expectSuccessWithinMs: t.int({
      description:
        'Dead-man’s switch: OVERDUE when no run succeeded for this long (at least 1000). Default none.',
    }),
  }),
});

const UpdateJobInputRef = builder.inputType('UpdateJobInput', {
  description:
    'Fields left out are kept; misfireGraceTimeMs, timeoutMs and expectSuccessWithinMs set to null clear them. A new trigger reschedules from now.',
  fields: (t) => ({
    name: t.string(),
    task: t.string(),
    args: t.field({ type: 'JSON' }),
    trigger: t.field({ type: TriggerInput }),
    coalesce: t.boolean(),
    coalescePolicy: t.field({ type: CoalescePolicyEnum }),
    overlap: t.field({ type: OverlapPolicyEnum }),
    maxRuns: t.int({ description: 'null clears the limit.' }),
    pauseAfterFailures: t.int({ description: 'null clears it.' }),
    exclusions: t.field({ type: [ExclusionInputRef], description: 'Replaces the list; [] clears it.' }),
    maxInstances: t.int(),
    misfireGraceTimeMs: t.int(),
    timeoutMs: t.int(),
    retry: t.field({ type: RetryInput }),
    expectSuccessWithinMs: t.int(),
  }),
});

builder.mutationField('addJob', (t) =>
  t.field({
    type: JobRef,
    description: 'Needs admin. CONFLICT when the id exists.',
    args: { input: t.arg({ type: AddJobInputRef, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const { coalescePolicy, ...rest } = input;
      const job: AddJobInput = {
        ...rest,
        coalesce: coalescePolicy ?? rest.coalesce,
        retry: retryPatch(input.retry),
      };
      return ctx.service.addJob(job);
    },
  }),
);

builder.mutationField('updateJob', (t) =>
  t.field({
    type: JobRef,
    description: 'Needs admin.',
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateJobInputRef, required: true }),
    },
    resolve: (_root, { id, input }, ctx) => {
      const { coalescePolicy, ...rest } = input;
      const patch: UpdateJobInput = {
        ...rest,
        coalesce: coalescePolicy ?? rest.coalesce,
        retry: retryPatch(input.retry),
      };
      return ctx.service.updateJob(id, patch);
    },
  }),
);

builder.mutationField('pauseJob', (t) =>
  t.field({
    ...mutationScope('operate'),
    type: JobRef,
    description: 'Needs operate. Pausing a paused job changes nothing (its first reason stays).',
    args: {
      id: t.arg.id({ required: true }),
      reason: t.arg.string({ description: 'A note shown as `pauseReason` (at most 500 characters).' }),
    },
    resolve: (_root, { id, reason }, ctx) => {
      return ctx.service.pauseJob(id, reason ?? null);
    },
  }),
);

builder.mutationField('resumeJob', (t) =>
  t.field({
    ...mutationScope('operate'),
    type: JobRef,
    description:
      'Needs operate. The next fire is computed from now: fires missed while paused are not made up.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => {
      return ctx.service.resumeJob(id);
    },
  }),
);

builder.mutationField('runJobNow', (t) =>
  t.field({
    ...mutationScope('operate'),
    type: ExecutionRef,
    description:
      'Needs operate. Runs the job once now; returns the execution it started (SKIPPED when all maxInstances are busy).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => {
      return ctx.service.runJobNow(id);
    },
  }),
);

builder.mutationField('rescheduleJob', (t) =>
  t.field({
    type: JobRef,
    description: 'Needs admin. Replaces the trigger and computes the next fire from now.',
    args: {
      id: t.arg.id({ required: true }),
      trigger: t.arg({ type: TriggerInput, required: true }),
    },
    resolve: (_root, { id, trigger }, ctx) => {
      return ctx.service.rescheduleJob(id, trigger);
    },
  }),
);

builder.mutationField('removeJob', (t) =>
  t.field({
    type: JobRef,
    description: 'Needs admin. Returns the removed job; NOT_FOUND when there is none. Its history stays.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => {
      return ctx.service.removeJob(id);
    },
  }),
);
