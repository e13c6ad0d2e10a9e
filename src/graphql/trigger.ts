/**
 * Triggers: the stored union (CronTrigger | IntervalTrigger | DateTrigger), the TriggerInput that
 * sets exactly one of cron, interval, date, and `previewTrigger`.
 *
 * TriggerInput is not marked @oneOf: graphql-js would then reject a bad one during validation,
 * without `extensions.code` BAD_USER_INPUT and the field. The core's compileTrigger checks the
 * "exactly one" rule and names the field.
 */
import type {
  AnyTrigger,
  TriggerInput as CoreTriggerInput,
  CronTrigger,
  DateTrigger,
  DstPolicy,
  IntervalTrigger,
  Trigger,
} from '../core/trigger.ts';
import type { PreviewRun } from '../core/triggers/annotate.ts';
import { defaultDstPolicy } from '../core/triggers/dst.ts';
import { builder } from './builder.ts';

const DstGapEnum = builder.enumType('DstGap', {
  description: 'What a cron trigger does with a local time that does not exist (spring forward).',
  values: {
    SHIFT: { value: 'shift', description: 'Run at the jump (02:30 runs at 03:00).' },
    SKIP: { value: 'skip', description: 'Do not run that day.' },
  } as const,
});

const DstRepeatEnum = builder.enumType('DstRepeat', {
  description: 'What a cron trigger does with a local time that happens twice (fall back).',
  values: {
    FIRST: { value: 'first', description: 'Run in the first pass only.' },
    LAST: { value: 'last', description: 'Run in the second pass only.' },
    BOTH: { value: 'both', description: 'Run in both passes.' },
  } as const,
});

const DstPolicyRef = builder.objectRef<DstPolicy>('DstPolicy').implement({
  description:
    'The DST policy in effect. Default (cronie): fixed-time schedules SHIFT and FIRST, wildcard schedules SKIP and BOTH.',
  fields: (t) => ({
    gap: t.field({ type: DstGapEnum, resolve: (policy) => policy.gap }),
    repeat: t.field({ type: DstRepeatEnum, resolve: (policy) => policy.repeat }),
  }),
});

const DstPolicyInput = builder.inputType('DstPolicyInput', {
  description: 'A part left out keeps the default for the expression.',
  fields: (t) => ({
    gap: t.field({ type: DstGapEnum }),
    repeat: t.field({ type: DstRepeatEnum }),
  }),
});

const DstNoteEnum = builder.enumType('DstNote', {
  values: {
    SHIFTED: { value: 'shifted', description: 'Its local time did not exist: it runs at the jump.' },
    REPEATED_FIRST: { value: 'repeated_first', description: 'Its local time happens twice: the first pass.' },
    REPEATED_SECOND: {
      value: 'repeated_second',
      description: 'Its local time happens twice: the second pass.',
    },
  } as const,
});

export const PreviewRunRef = builder.objectRef<PreviewRun>('PreviewRun').implement({
  description: 'A coming fire, marked when a DST change moved it.',
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    dstAdjusted: t.boolean({ resolve: (run) => run.dstNote !== null }),
    dstNote: t.field({ type: DstNoteEnum, nullable: true, resolve: (run) => run.dstNote }),
  }),
});

const CronTriggerRef = builder.objectRef<CronTrigger>('CronTrigger').implement({
  description: 'Fires on a cron schedule (cronie semantics, 5 or 6 fields, optional seconds first).',
  fields: (t) => ({
    expression: t.exposeString('expression'),
    timezone: t.exposeString('timezone', { description: 'IANA time zone the expression is read in.' }),
    dst: t.field({
      type: DstPolicyRef,
      resolve: (trigger) => trigger.dst ?? defaultDstPolicy(trigger.expression),
    }),
    startDate: t.expose('startDate', { type: 'DateTime', nullable: true }),
    endDate: t.expose('endDate', { type: 'DateTime', nullable: true }),
    jitterMs: t.exposeInt('jitterMs'),
  }),
});

const IntervalTriggerRef = builder.objectRef<IntervalTrigger>('IntervalTrigger').implement({
  description: 'Fires every period from an anchor (startDate, or the creation time), never drifting.',
  fields: (t) => ({
    weeks: t.exposeFloat('weeks'),
    days: t.exposeFloat('days'),
    hours: t.exposeFloat('hours'),
    minutes: t.exposeFloat('minutes'),
    seconds: t.exposeFloat('seconds'),
    milliseconds: t.exposeFloat('milliseconds'),
    startDate: t.expose('startDate', { type: 'DateTime', nullable: true }),
    endDate: t.expose('endDate', { type: 'DateTime', nullable: true }),
    jitterMs: t.exposeInt('jitterMs'),
  }),
});

const DateTriggerRef = builder.objectRef<DateTrigger>('DateTrigger').implement({
  description: 'Fires once, at runDate.',
  fields: (t) => ({
    runDate: t.expose('runDate', { type: 'DateTime' }),
  }),
});

const AnyTriggerRef = builder.objectRef<AnyTrigger>('AnyTrigger');

export const TriggerRef = builder.unionType('Trigger', {
  types: [CronTriggerRef, IntervalTriggerRef, DateTriggerRef, AnyTriggerRef],
  resolveType: (trigger: Trigger) =>
    trigger.kind === 'cron'
      ? CronTriggerRef
      : trigger.kind === 'interval'
        ? IntervalTriggerRef
        : trigger.kind === 'date'
          ? DateTriggerRef
          : AnyTriggerRef,
});

AnyTriggerRef.implement({
  description: 'Several schedules: fires when any of them is due, each instant once.',
  fields: (t) => ({
    triggers: t.field({ type: [TriggerRef], resolve: (trigger) => trigger.triggers }),
  }),
});

const CronTriggerInput = builder.inputType('CronTriggerInput', {
  fields: (t) => ({
    expression: t.string({ required: true, description: 'e.g. "0 9 * * 1-5" or "@hourly".' }),
    timezone: t.string({ description: 'IANA zone; default the service timezone.' }),
    startDate: t.field({ type: 'DateTime' }),
    endDate: t.field({ type: 'DateTime' }),
    jitterMs: t.int({ description: 'Delay each fire by a stable offset in [0, jitterMs].' }),
    dst: t.field({ type: DstPolicyInput, description: 'Default: cronie’s rule (see DstPolicy).' }),
  }),
});

const IntervalTriggerInput = builder.inputType('IntervalTriggerInput', {
  description: 'The period is the sum of the parts (fractions allowed); at least 1 ms.',
  fields: (t) => ({
    weeks: t.float(),
    days: t.float(),
    hours: t.float(),
    minutes: t.float(),
    seconds: t.float(),
    milliseconds: t.float(),
    startDate: t.field({ type: 'DateTime', description: 'The anchor; default the creation time.' }),
    endDate: t.field({ type: 'DateTime' }),
    jitterMs: t.int(),
  }),
});

const DateTriggerInput = builder.inputType('DateTriggerInput', {
  fields: (t) => ({
    runDate: t.field({ type: 'DateTime', required: true, description: 'Must be in the future.' }),
  }),
});

// A ref with its shape spelled out: the input holds a list of itself (`any`).
export const TriggerInput = builder.inputRef<CoreTriggerInput>('TriggerInput').implement({
  description: 'Set exactly one of cron, interval, date, any (BAD_USER_INPUT otherwise).',
  fields: (t) => ({
    cron: t.field({ type: CronTriggerInput }),
    interval: t.field({ type: IntervalTriggerInput }),
    date: t.field({ type: DateTriggerInput }),
    any: t.field({
      type: [TriggerInput],
      description:
        '2 to 20 triggers (each with one of cron, interval, date, no jitter): fires when any is due.',
    }),
  }),
});

builder.queryField('previewTrigger', (t) =>
  t.field({
    type: ['DateTime'],
    description:
      'The next fire times of a trigger strictly after `after` (default now), without creating anything.',
    args: {
      trigger: t.arg({ type: TriggerInput, required: true }),
      after: t.arg({ type: 'DateTime' }),
      count: t.arg.int({ defaultValue: 5, description: '1 to 100.' }),
    },
    resolve: (_root, args, ctx) =>
      ctx.service.previewTrigger(args.trigger, args.after ?? null, args.count ?? 5),
  }),
);

builder.queryField('previewTriggerRuns', (t) =>
  t.field({
    type: [PreviewRunRef],
    description: 'previewTrigger, each fire marked when a DST change moved it.',
    args: {
      trigger: t.arg({ type: TriggerInput, required: true }),
      after: t.arg({ type: 'DateTime' }),
      count: t.arg.int({ defaultValue: 5, description: '1 to 100.' }),
    },
    resolve: (_root, args, ctx) => ctx.service.previewRuns(args.trigger, args.after ?? null, args.count ?? 5),
  }),
);
