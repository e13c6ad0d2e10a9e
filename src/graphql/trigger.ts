/**
 * Triggers: the stored union (CronTrigger | IntervalTrigger | DateTrigger), the TriggerInput that
 * sets exactly one of cron, interval, date, and `previewTrigger`.
 *
 * TriggerInput is not marked @oneOf: graphql-js would then reject a bad one during validation,
 * without `extensions.code` BAD_USER_INPUT and the field. The core's compileTrigger checks the
 * "exactly one" rule and names the field.
 */
import type { CronTrigger, DateTrigger, IntervalTrigger, Trigger } from '../core/trigger.ts';
import { builder } from './builder.ts';

const CronTriggerRef = builder.objectRef<CronTrigger>('CronTrigger').implement({
  description: 'Fires on a cron schedule (cronie semantics, 5 or 6 fields, optional seconds first).',
  fields: (t) => ({
    expression: t.exposeString('expression'),
    timezone: t.exposeString('timezone', { description: 'IANA time zone the expression is read in.' }),
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

export const TriggerRef = builder.unionType('Trigger', {
  types: [CronTriggerRef, IntervalTriggerRef, DateTriggerRef],
  resolveType: (trigger: Trigger) =>
    trigger.kind === 'cron'
      ? CronTriggerRef
      : trigger.kind === 'interval'
        ? IntervalTriggerRef
        : DateTriggerRef,
});

const CronTriggerInput = builder.inputType('CronTriggerInput', {
  fields: (t) => ({
    expression: t.string({ required: true, description: 'e.g. "0 9 * * 1-5" or "@hourly".' }),
    timezone: t.string({ description: 'IANA zone; default the service timezone.' }),
    startDate: t.field({ type: 'DateTime' }),
    endDate: t.field({ type: 'DateTime' }),
    jitterMs: t.int({ description: 'Delay each fire by a stable offset in [0, jitterMs].' }),
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

export const TriggerInput = builder.inputType('TriggerInput', {
  description: 'Set exactly one of cron, interval, date (BAD_USER_INPUT otherwise).',
  fields: (t) => ({
    cron: t.field({ type: CronTriggerInput }),
    interval: t.field({ type: IntervalTriggerInput }),
    date: t.field({ type: DateTriggerInput }),
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
